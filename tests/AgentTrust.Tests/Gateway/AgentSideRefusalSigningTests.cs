using System.Text.Json.Nodes;
using AgentTrust.Gateway;
using AgentTrust.Gateway.Configuration;
using AgentTrust.Gateway.Identity;
using AgentTrust.Gateway.Pipeline;
using AgentTrust.KeyStore;
using AgentTrust.Mcps.Envelopes;
using AgentTrust.Tests.Gateway.Support;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// When the agent side refuses a request from the server (a sampling request whose countersignature does not verify),
/// its error goes back towards the server signed by the agent, so the server side's gateway, which requires every
/// client message to be signed, relays it with the agent side's reason instead of replacing it with its own.
/// </summary>
public sealed class AgentSideRefusalSigningTests : IDisposable
{
    private const string Server = "node server.js";
    private readonly ScratchDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    private Task<GatewayIdentity> IdentityAsync(string name) =>
        GatewayIdentity.LoadOrCreateAsync(new FileKeyStore(_scratch.File("keys-" + name)), name, _scratch.File(name + ".passport.json"), () => null, TimeProvider.System);

    [Fact]
    public async Task A_refused_server_request_is_answered_with_an_error_signed_by_the_agent_that_the_server_side_relays()
    {
        using var agent = await IdentityAsync("agent");
        using var gateway = await IdentityAsync("gateway");
        var agentSide = new RelayPipeline(GatewayPipelineFactory.CreateAgentSide(new GatewayOptions { DisablePins = true }, Server, agent, null, null));
        var serverSide = new RelayPipeline(GatewayPipelineFactory.CreateServerSide(new GatewayOptions { DisablePins = true }, Server, gateway, null, null));

        var countersigned = await serverSide.ProcessAsync(System.Text.Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":"s1","method":"sampling/createMessage","params":{"maxTokens":5}}"""), RelayDirection.ServerToClient);
        var tampered = System.Text.Encoding.UTF8.GetString(countersigned.ToRecipient!.Value.Span).Replace("\"maxTokens\":5", "\"maxTokens\":500", StringComparison.Ordinal);
        var refused = await agentSide.ProcessAsync(System.Text.Encoding.UTF8.GetBytes(tampered), RelayDirection.ServerToClient);

        var error = refused.ToSender!.Value.ToArray();
        Assert.Null(refused.ToRecipient);
        Assert.True(new McpsMessageVerifier().VerifyWithKey(error, agent.MessageKey.PublicKey, new McpsVerificationContext()).IsValid);

        var relayed = await serverSide.ProcessAsync(error, RelayDirection.ClientToServer);
        var toServer = (JsonObject)JsonNode.Parse(relayed.ToRecipient!.Value.Span)!;
        Assert.Equal("s1", toServer["id"]!.GetValue<string>());
        Assert.Equal(refused.Rejection!.Reason, toServer["error"]!["data"]!["reason"]!.GetValue<string>());
    }
}
