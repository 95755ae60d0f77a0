using System.Text.Json.Nodes;
using AgentTrust.Gateway.Configuration;
using AgentTrust.Gateway.Identity;
using AgentTrust.Gateway.Pinning;
using AgentTrust.Gateway.Pipeline;
using AgentTrust.Gateway.Signing;
using AgentTrust.Gateway.Verification;
using AgentTrust.KeyStore;
using AgentTrust.Mcps.Envelopes;
using AgentTrust.Mcps.Passports;
using AgentTrust.Mcps.Replay;
using AgentTrust.Mcps.Tools;
using AgentTrust.Tests.Gateway.Support;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// agent-proxy pins the server gateway's passport: with two real gateway identities, a countersignature that verifies
/// but comes from the other gateway is refused with MCPS-011, whether the passport was configured
/// (<c>--server-passport</c>) or pinned on first use (kept with the tool pins, across runs).
/// </summary>
public sealed class ServerPassportPinTests : IDisposable
{
    private const string Server = "node server.js";
    private readonly ScratchDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    private Task<GatewayIdentity> GatewayAsync(string name) =>
        GatewayIdentity.LoadOrCreateAsync(new FileKeyStore(_scratch.File("keys-" + name)), name, _scratch.File(name + ".passport.json"), () => null, TimeProvider.System);

    private static RelayPipeline AgentSide(ServerPassportPin pin)
    {
        var verifier = new McpsMessageVerifier(McpsVerifierOptions.Default with { StatusPolicy = StatusPolicy.None }, TimeProvider.System, null, new InMemoryNonceStore());
        return new RelayPipeline([new CountersignatureVerificationStage(verifier, null) { ServerPassport = pin }]);
    }

    // One round trip: agent side → gateway (countersigns the answer) → agent side. Returns what the client receives.
    private static async Task<JsonObject> RoundTripAsync(RelayPipeline agent, GatewayIdentity gateway, int id)
    {
        var server = new RelayPipeline([new CountersignStage(gateway)]);
        var request = await agent.ProcessAsync(System.Text.Encoding.UTF8.GetBytes($$"""{"jsonrpc":"2.0","id":{{id}},"method":"ping"}"""), RelayDirection.ClientToServer);
        await server.ProcessAsync(request.ToRecipient!.Value.ToArray(), RelayDirection.ClientToServer);
        var answer = await server.ProcessAsync(System.Text.Encoding.UTF8.GetBytes("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{}}"), RelayDirection.ServerToClient);
        var toClient = await agent.ProcessAsync(answer.ToRecipient!.Value.ToArray(), RelayDirection.ServerToClient);
        return (JsonObject)JsonNode.Parse(toClient.ToRecipient!.Value.Span)!;
    }

    [Fact]
    public async Task ConfiguredServerPassport_RefusesAnotherGatewaysValidCountersignature()
    {
        using var expected = await GatewayAsync("gateway-a");
        using var impostor = await GatewayAsync("gateway-b");
        var agent = AgentSide(new ServerPassportPin(new InMemoryToolPinStore(), Server, expected.Passport.PassportId));

        var fromExpected = await RoundTripAsync(agent, expected, 1);
        var fromImpostor = await RoundTripAsync(agent, impostor, 2);

        Assert.True(fromExpected.ContainsKey("result"), fromExpected.ToJsonString());
        var data = fromImpostor["error"]!["data"]!;
        Assert.Equal(-33011, fromImpostor["error"]!["code"]!.GetValue<int>());
        Assert.Equal("server_passport_mismatch", data["reason"]!.GetValue<string>());
        Assert.Equal(expected.Passport.PassportId, data["expected_passport_id"]!.GetValue<string>());
        Assert.Equal(impostor.Passport.PassportId, data["received_passport_id"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ImpostorCopyingTheServerPassportId_WithItsOwnKey_IsRefused(bool configured)
    {
        using var real = await GatewayAsync("gateway-a");
        using var other = await GatewayAsync("gateway-b");

        // Passport ids are not derived from keys: a self-issued passport can claim the real gateway's id.
        var forgedPath = _scratch.File("forged.passport.json");
        var forged = PassportIssuer.CreateSelfIssued(new PassportRequest { PublicKey = other.MessageKey.PublicKey, AgentName = "gateway-a", PassportId = real.Passport.PassportId }, other.MessageKey, TimeProvider.System);
        await File.WriteAllBytesAsync(forgedPath, forged.ToCanonicalJson());
        using var impostor = await GatewayIdentity.LoadOrCreateAsync(new FileKeyStore(_scratch.File("keys-gateway-b")), "gateway-b", forgedPath, () => null, TimeProvider.System);
        Assert.Equal(real.Passport.PassportId, impostor.Passport.PassportId);
        var agent = AgentSide(new ServerPassportPin(new InMemoryToolPinStore(), Server, configured ? real.Passport.PassportId : null));

        var fromReal = await RoundTripAsync(agent, real, 1);
        var fromImpostor = await RoundTripAsync(agent, impostor, 2);

        Assert.True(fromReal.ContainsKey("result"), fromReal.ToJsonString());
        Assert.Equal("server_passport_mismatch", fromImpostor["error"]!["data"]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task FirstServerPassport_IsPinnedInThePinFile_AndAnotherIsRefusedOnTheNextRun()
    {
        using var first = await GatewayAsync("gateway-a");
        using var second = await GatewayAsync("gateway-b");
        var pins = _scratch.File("pins.json");

        using (var store = new FileToolPinStore(pins))
        {
            var run1 = AgentSide(new ServerPassportPin(store, Server));
            Assert.True((await RoundTripAsync(run1, first, 1)).ContainsKey("result"));
            Assert.Equal("MCPS-011", (await RoundTripAsync(run1, second, 2))["error"]!["data"]!["mcps_code"]!.GetValue<string>());
        }

        using (var store = new FileToolPinStore(pins))
        {
            var run2 = AgentSide(new ServerPassportPin(store, Server));
            Assert.Equal("MCPS-011", (await RoundTripAsync(run2, second, 3))["error"]!["data"]!["mcps_code"]!.GetValue<string>());
            Assert.True((await RoundTripAsync(run2, first, 4)).ContainsKey("result"));
        }

        // Another server (another identity) has its own pin.
        using (var store = new FileToolPinStore(pins))
        {
            Assert.True((await RoundTripAsync(AgentSide(new ServerPassportPin(store, "node other.js")), second, 5)).ContainsKey("result"));
        }
    }

    [Fact]
    public async Task AgentProxy_WithAnotherServerPassport_RefusesTheRealGatewaysAnswers_AndWithItsOwn_Relays()
    {
        using var chain = new GatewayChain();
        const string other = "asp_0123456789abcdef0123456789abcdef";

        var refused = await InitializeThroughAsync(chain, other);
        var gatewayPassport = (JsonObject)JsonNode.Parse(File.ReadAllBytes(Path.Combine(chain.Home, "gateway", "gateway.passport.json")))!;
        var relayed = await InitializeThroughAsync(chain, gatewayPassport["passport_id"]!.GetValue<string>());

        Assert.Equal(-33011, refused["error"]!["code"]!.GetValue<int>());
        Assert.Equal(other, refused["error"]!["data"]!["expected_passport_id"]!.GetValue<string>());
        Assert.True(relayed.ContainsKey("result"), relayed.ToJsonString());
    }

    private static async Task<JsonObject> InitializeThroughAsync(GatewayChain chain, string serverPassport)
    {
        string[] arguments =
        [
            GatewayPeers.AgentTrustDll, "agent-proxy", "--key", "agent", "--server-passport", serverPassport, "--replay-store", "memory", "--",
            "dotnet", GatewayPeers.AgentTrustDll, "proxy", "--key", "gateway", "--replay-store", "memory", "--", "node", GatewayPeers.RecordingServer,
        ];
        using var process = GatewayPeers.Start("dotnet", arguments, chain.Environment);
        try
        {
            await process.StandardInput.WriteLineAsync("""{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}""");
            await process.StandardInput.FlushAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException(await process.StandardError.ReadToEndAsync());
            return (JsonObject)JsonNode.Parse(line)!;
        }
        finally
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(TimeSpan.FromSeconds(20)))
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Theory]
    [InlineData("""{"serverPassport": "asp_123"}""")]
    [InlineData("""{"serverPassport": "ASP_00000000000000000000000000000000"}""")]
    public void MalformedServerPassport_InTheConfiguration_IsRefused(string json)
    {
        Assert.Throws<InvalidDataException>(() => GatewayOptionsFile.Parse(System.Text.Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void ServerPassport_IsReadFromJsonAndYaml()
    {
        const string id = "asp_0123456789abcdef0123456789abcdef";
        Assert.Equal(id, GatewayOptionsFile.Parse(System.Text.Encoding.UTF8.GetBytes($$"""{"serverPassport": "{{id}}"}""")).ServerPassport);
        Assert.Equal(id, GatewayOptionsFile.ParseYaml(System.Text.Encoding.UTF8.GetBytes($"serverPassport: {id}\n")).ServerPassport);
    }
}
