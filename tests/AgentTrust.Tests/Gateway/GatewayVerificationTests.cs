using System.Text.Json.Nodes;
using AgentTrust.Audit;
using AgentTrust.Cryptography;
using AgentTrust.KeyStore;
using AgentTrust.Mcps.Envelopes;
using AgentTrust.Mcps.Passports;
using AgentTrust.Receipts;
using AgentTrust.Replay;
using AgentTrust.Tests.Gateway.Support;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// The server-side gateway (<c>agenttrust proxy --trust-store</c>) in front of a real TypeScript-SDK server, attacked
/// from the client side with raw lines: every refused message gets the MCPS error of mcps.md §13 and never reaches the
/// server (the server records everything it receives).
/// </summary>
public sealed class GatewayVerificationTests
{
    private const string Initialize = """{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}""";
    private const string Initialized = """{"jsonrpc":"2.0","method":"notifications/initialized"}""";
    private const string EchoCall = """{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"text":"pay 10"}}}""";

    private static RawGatewayProcess StartGateway(TrustFixture trust, params string[] extra) =>
        new(["--trust-store", trust.TrustStore, "--no-pins", .. extra], ["node", GatewayPeers.RecordingServer], new Dictionary<string, string>
        {
            ["RECEIVED_LOG"] = trust.Scratch.File("received.jsonl"),
            ["AGENTTRUST_HOME"] = trust.Scratch.File("home"),
        });

    private static async Task HandshakeAsync(RawGatewayProcess gateway, TrustFixture.Agent agent)
    {
        await gateway.SendAsync(agent.Sign(Initialize));
        var answer = await gateway.ReceiveResponseAsync("init");
        Assert.True(answer.ContainsKey("result"), answer.ToJsonString());
        await gateway.SendAsync(agent.Sign(Initialized));
    }

    private static void AssertRefused(JsonObject answer, int id, string mcpsCode, string reason)
    {
        Assert.Equal(id, answer["id"]!.GetValue<int>());
        Assert.Equal(mcpsCode, answer["error"]!["data"]!["mcps_code"]!.GetValue<string>());
        Assert.Equal(-33000 - int.Parse(mcpsCode[5..], System.Globalization.CultureInfo.InvariantCulture), answer["error"]!["code"]!.GetValue<int>());
        Assert.Equal(reason, answer["error"]!["data"]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnotherSignerOnTheConnection_IsRefusedWithMcps018_AndNeverReachesTheServer()
    {
        using var trust = new TrustFixture();
        using var owner = trust.IssueAgent(level: 2);
        using var intruder = trust.IssueAgent(level: 2);
        await using var gateway = StartGateway(trust);
        await HandshakeAsync(gateway, owner);

        await gateway.SendAsync(intruder.Sign(EchoCall));
        var refused = await gateway.ReceiveResponseAsync(5);
        await gateway.SendAsync(owner.Sign(EchoCall.Replace("\"id\":5", "\"id\":6", StringComparison.Ordinal)));
        var passed = await gateway.ReceiveResponseAsync(6);

        AssertRefused(refused, 5, "MCPS-018", "session_signer_mismatch");
        Assert.Equal("pay 10", passed["result"]!["content"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(["echo"], RecordedMessages.ToolCalls(trust.Scratch.File("received.jsonl")));
    }

    [Fact]
    public async Task SignedCall_Passes_AndItsBilateralReceiptAndTheAuditLogVerify()
    {
        using var trust = new TrustFixture();
        using var agent = trust.IssueAgent(level: 2);
        await using var gateway = StartGateway(trust, "--key", "gw", "--audit-dir", trust.Scratch.File("audit"));
        await HandshakeAsync(gateway, agent);
        using var receiptKey = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        var agentReceipt = new ReceiptSigner(receiptKey, "test-agent").Sign(ReceiptAction.HashOnly("echo", JsonNode.Parse("""{"text":"pay 10"}"""), "recording-server"));
        var call = (JsonObject)JsonNode.Parse(EchoCall)!;
        call["params"]!["_meta"] = new JsonObject { ["_signet"] = agentReceipt.ToJsonObject() };

        await gateway.SendAsync(agent.Sign(call.ToJsonString()));
        var answer = await gateway.ReceiveResponseAsync(5);

        Assert.Equal("pay 10", answer["result"]!["content"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(["echo"], RecordedMessages.ToolCalls(trust.Scratch.File("received.jsonl")));

        // The answer is countersigned with the gateway's passport, bound to the request.
        var gatewayKey = await new FileKeyStore(Path.Combine(trust.Scratch.File("home"), "keys")).GetAsync("gw");
        var countersignature = new McpsMessageVerifier().VerifyWithKey(System.Text.Encoding.UTF8.GetBytes(answer.ToJsonString()), gatewayKey.PublicKey);
        Assert.True(countersignature.IsValid, countersignature.Reason);

        // The bilateral receipt binds the agent's receipt and the response, signed by the gateway's receipt key.
        var gatewayReceiptKey = await new FileKeyStore(Path.Combine(trust.Scratch.File("home"), "keys")).GetAsync("gw-receipts");
        var anchors = new PinnedReceiptKeys()
            .Pin(ReceiptEncoding.FormatPublicKey(receiptKey.PublicKey), ReceiptKeyRole.Agent)
            .Pin(ReceiptEncoding.FormatPublicKey(gatewayReceiptKey.PublicKey), ReceiptKeyRole.Server);
        var bilateral = answer["result"]!["_meta"]!["_signet_bilateral"]!.ToJsonString();
        var verdict = await new ReceiptVerifier(anchors, new InMemoryReplayStore()).VerifyAsync(System.Text.Encoding.UTF8.GetBytes(bilateral), new ReceiptVerificationOptions { ExpectedVersion = 3 });
        Assert.True(verdict.Valid, verdict.Reason);

        gateway.CloseInput();
        await gateway.WaitForExitAsync(TimeSpan.FromSeconds(20));
        var report = await AuditVerifier.VerifyAsync(trust.Scratch.File("audit"), new AuditVerificationOptions { Signatures = true, TrustAnchors = anchors });
        Assert.True(report.Valid);
        Assert.Equal(1, report.RecordCount);
    }

    [Fact]
    public async Task TamperedCall_IsRefusedWithMcps004_AndNeverReachesTheServer()
    {
        using var trust = new TrustFixture();
        using var agent = trust.IssueAgent(level: 2);
        await using var gateway = StartGateway(trust);
        await HandshakeAsync(gateway, agent);

        var tampered = agent.Sign(EchoCall).Replace("pay 10", "pay 99", StringComparison.Ordinal);
        await gateway.SendAsync(tampered);

        AssertRefused(await gateway.ReceiveResponseAsync(5), 5, "MCPS-004", "signature_mismatch");
        Assert.Empty(RecordedMessages.ToolCalls(trust.Scratch.File("received.jsonl")));
    }

    [Fact]
    public async Task ReplayedCall_IsRefusedWithMcps005_AndReachesTheServerOnlyOnce()
    {
        using var trust = new TrustFixture();
        using var agent = trust.IssueAgent(level: 2);
        await using var gateway = StartGateway(trust);
        await HandshakeAsync(gateway, agent);
        var signed = agent.Sign(EchoCall);

        await gateway.SendAsync(signed);
        var first = await gateway.ReceiveResponseAsync(5);
        await gateway.SendAsync(signed);
        var second = await gateway.ReceiveResponseAsync(5);

        Assert.True(first.ContainsKey("result"));
        AssertRefused(second, 5, "MCPS-005", "replay");
        Assert.Equal(["echo"], RecordedMessages.ToolCalls(trust.Scratch.File("received.jsonl")));
    }

    [Fact]
    public async Task CallReplayedOnANewConnection_IsRefusedWithMcps005_BecauseGatewayProcessesShareTheReplayStore()
    {
        // A stdio gateway is one process per client connection: an attacker who captured a signed call replays it on a
        // connection of their own. The default replay store (SQLite under AGENTTRUST_HOME) is shared by both processes.
        using var trust = new TrustFixture();
        using var agent = trust.IssueAgent(level: 2);
        var signed = agent.Sign(EchoCall);
        await using (var first = StartGateway(trust))
        {
            await HandshakeAsync(first, agent);
            await first.SendAsync(signed);
            Assert.True((await first.ReceiveResponseAsync(5)).ContainsKey("result"));
            first.CloseInput();
        }

        await using var second = StartGateway(trust);
        await HandshakeAsync(second, agent);
        await second.SendAsync(signed);
        AssertRefused(await second.ReceiveResponseAsync(5), 5, "MCPS-005", "replay");
        Assert.Equal(["echo"], RecordedMessages.ToolCalls(trust.Scratch.File("received.jsonl")));
    }

    [Fact]
    public async Task UnsignedCall_IsRefusedWithMcps004()
    {
        using var trust = new TrustFixture();
        using var agent = trust.IssueAgent(level: 2);
        await using var gateway = StartGateway(trust);
        await HandshakeAsync(gateway, agent);

        await gateway.SendAsync(EchoCall);

        AssertRefused(await gateway.ReceiveResponseAsync(5), 5, "MCPS-004", "missing_envelope");
        Assert.Empty(RecordedMessages.ToolCalls(trust.Scratch.File("received.jsonl")));
    }

    [Fact]
    public async Task UnsignedInitialize_IsRefused_SoNothingReachesTheServer()
    {
        using var trust = new TrustFixture();
        await using var gateway = StartGateway(trust);

        await gateway.SendAsync(Initialize);
        var answer = await gateway.ReceiveResponseAsync("init");

        Assert.Equal("MCPS-004", answer["error"]!["data"]!["mcps_code"]!.GetValue<string>());
        Assert.Empty(RecordedMessages.Read(trust.Scratch.File("received.jsonl")));
    }

    [Fact]
    public async Task ExpiredPassport_IsRefusedWithMcps002()
    {
        using var trust = new TrustFixture();
        var longAgo = new ManualTimeProvider(DateTimeOffset.UtcNow.AddDays(-40));
        using var expired = trust.IssueAgent(level: 2, longAgo, TimeSpan.FromDays(30));
        using var current = trust.IssueAgent(level: 2);
        await using var gateway = StartGateway(trust);
        await HandshakeAsync(gateway, current);

        await gateway.SendAsync(expired.Sign(EchoCall));

        AssertRefused(await gateway.ReceiveResponseAsync(5), 5, "MCPS-002", "expired");
        Assert.Empty(RecordedMessages.ToolCalls(trust.Scratch.File("received.jsonl")));
    }

    [Fact]
    public async Task RevokedPassport_IsRefusedWithMcps003_FromTheNextMessageOn()
    {
        using var trust = new TrustFixture();
        using var agent = trust.IssueAgent(level: 2);
        await using var gateway = StartGateway(trust);
        await HandshakeAsync(gateway, agent);

        trust.Revoke(agent.Passport.PassportId);
        await gateway.SendAsync(agent.Sign(EchoCall));

        AssertRefused(await gateway.ReceiveResponseAsync(5), 5, "MCPS-003", "revoked");
        Assert.Empty(RecordedMessages.ToolCalls(trust.Scratch.File("received.jsonl")));
    }

    [Fact]
    public async Task CallBelowTheToolsMinimumLevel_IsRefusedWithMcps009_WhileOtherToolsPass()
    {
        using var trust = new TrustFixture();
        using var agent = trust.IssueAgent(level: 2);
        var config = trust.Scratch.File("gateway.json");
        File.WriteAllText(config, """{ "minTrust": 1, "tools": { "changeable": { "minTrust": 3 } } }""");
        await using var gateway = StartGateway(trust, "--config", config);
        await HandshakeAsync(gateway, agent);

        await gateway.SendAsync(agent.Sign("""{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"changeable","arguments":{"text":"x"}}}"""));
        var refused = await gateway.ReceiveResponseAsync(6);
        await gateway.SendAsync(agent.Sign(EchoCall));
        var allowed = await gateway.ReceiveResponseAsync(5);

        AssertRefused(refused, 6, "MCPS-009", "insufficient_trust");
        Assert.True(allowed.ContainsKey("result"));
        Assert.Equal(["echo"], RecordedMessages.ToolCalls(trust.Scratch.File("received.jsonl")));
    }

    [Fact]
    public async Task SelfIssuedPassport_IsLevelZero_AndRefusedByAGlobalMinimum()
    {
        using var trust = new TrustFixture();
        using var key = SigningKey.Generate(SignatureAlgorithm.ES256);
        var selfIssued = PassportIssuer.CreateSelfIssued(new PassportRequest { PublicKey = key.PublicKey, AgentName = "self" }, key);
        using var agent = new TrustFixture.Agent(SigningKey.Import(SignatureAlgorithm.ES256, Export(key)), selfIssued);
        await using var gateway = StartGateway(trust, "--min-trust", "1");

        await gateway.SendAsync(agent.Sign(Initialize));
        var answer = await gateway.ReceiveResponseAsync("init");

        Assert.Equal("MCPS-009", answer["error"]!["data"]!["mcps_code"]!.GetValue<string>());
        Assert.Empty(RecordedMessages.Read(trust.Scratch.File("received.jsonl")));
    }

    private static byte[] Export(SigningKey key)
    {
        var bytes = new byte[32];
        key.ExportPrivateKey(bytes);
        return bytes;
    }
}
