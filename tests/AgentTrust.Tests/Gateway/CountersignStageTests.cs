using System.Text.Json.Nodes;
using AgentTrust.Gateway.Identity;
using AgentTrust.Gateway.Pipeline;
using AgentTrust.Gateway.Signing;
using AgentTrust.KeyStore;
using AgentTrust.Tests.Gateway.Support;

namespace AgentTrust.Tests.Gateway;

public sealed class CountersignStageTests
{
    [Fact]
    public async Task ServerMessageThatAlreadyCarriesAContainer_IsRefused_NeverForwardedUncountersigned()
    {
        // A server (or whatever sits upstream) that signs its own tools/list answer must not get it past the gateway
        // without the gateway's countersignature: agents read that countersignature as "the gateway checked this".
        using var scratch = new ScratchDirectory();
        using var identity = await GatewayIdentity.LoadOrCreateAsync(new FileKeyStore(scratch.File("keys")), "gw", scratch.File("gw.passport.json"), () => null, TimeProvider.System);
        var pipeline = new RelayPipeline([new CountersignStage(identity)]);
        await pipeline.ProcessAsync(System.Text.Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}"""), RelayDirection.ClientToServer);

        var selfSigned = """{"jsonrpc":"2.0","id":1,"result":{"tools":[],"_meta":{"io.agenttrust/mcps":{"version":"1.0","passport_id":"asp_00000000000000000000000000000000","nonce":"00000000000000000000000000000000","timestamp":"2026-01-01T00:00:00.000Z","signature":"x"}}}}""";
        var outcome = await pipeline.ProcessAsync(System.Text.Encoding.UTF8.GetBytes(selfSigned), RelayDirection.ServerToClient);

        Assert.Equal("ambiguous_envelope", outcome.Rejection?.Reason);
        var toClient = (JsonObject)JsonNode.Parse(outcome.ToRecipient!.Value.Span)!;
        Assert.False(toClient.ContainsKey("result"));
        Assert.Equal("MCPS-004", toClient["error"]!["data"]!["mcps_code"]!.GetValue<string>());
    }
}
