using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Mcps.Envelopes;
using AgentTrust.Mcps.Passports;
using AgentTrust.Tests.Authority;
using AgentTrust.Tests.Gateway.Support;
using AgentTrust.Tests.Mcps;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// Trust levels are raised and lowered at the Trust Authority (mcps.md §8) and the effective level is
/// <c>min(passport level, anchor cap, current level at the authority)</c> (§7.6): a lowered level applies at once to
/// passports already out there; a raise applies through the passport the authority re-issues at the new level. A status
/// answer never lifts a level, and a self-issued passport stays at 0.
/// </summary>
public sealed class GatewayAuthorityLevelTests
{
    private const string Initialize = """{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}""";

    private static string Call(int id, string tool) =>
        new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = id,
            ["method"] = "tools/call",
            ["params"] = new JsonObject { ["name"] = tool, ["arguments"] = new JsonObject { ["text"] = "pay 10" } },
        }.ToJsonString();

    // The per-tool rule comes from a YAML configuration file: the rule and the file form are what is tested here too.
    private static RawGatewayProcess StartGateway(AuthorityTestHost authority, ScratchDirectory scratch, string log)
    {
        var config = scratch.File("gateway.yaml");
        File.WriteAllText(config, "minTrust: 1\ntools:\n  echo:\n    minTrust: 3\n");
        return new(["--authority", authority.Server.BaseAddress.AbsoluteUri, "--authority-name", authority.Options.Name, "--no-pins", "--config", config],
            ["node", GatewayPeers.RecordingServer], new Dictionary<string, string> { ["RECEIVED_LOG"] = scratch.File(log) });
    }

    [Fact]
    public async Task LevelRaisedAtTheAuthority_AppliesThroughTheReissuedPassport_AndLoweredAgain_IsRefusedWithMcps009()
    {
        await using var authority = await AuthorityTestHost.StartAsync();
        using var scratch = new ScratchDirectory();
        var registered = authority.NewAgent();
        await authority.RegisterAsync(registered);
        var client = authority.Client();
        Assert.True(AgentPassport.TryParse((await client.ResolvePassportAsync(registered.PassportId)).Value!, out var issued, out _));
        Assert.Equal(1, issued!.ClaimedTrustLevel);

        Assert.True((await client.SetTrustLevelAsync(registered.PassportId, 3, "security scan passed", authority.AdminToken)).IsSuccess);
        Assert.True(AgentPassport.TryParse((await client.ResolvePassportAsync(registered.PassportId)).Value!, out var reissued, out _));
        Assert.Equal(3, reissued!.ClaimedTrustLevel);
        Assert.Equal(issued.PassportId, reissued.PassportId);
        Assert.Equal(issued.PublicKey, reissued.PublicKey);

        // Both copies share the agent's key (disposing it twice is harmless).
        using var old = new TrustFixture.Agent(registered.Key, issued);
        using var current = new TrustFixture.Agent(registered.Key, reissued);
        JsonObject stale, raised;
        await using (var gateway = StartGateway(authority, scratch, "raised.jsonl"))
        {
            await gateway.SendAsync(current.Sign(Initialize));
            Assert.True((await gateway.ReceiveResponseAsync("init")).ContainsKey("result"));
            await gateway.SendAsync(old.Sign(Call(4, "echo")));
            stale = await gateway.ReceiveResponseAsync(4);
            await gateway.SendAsync(current.Sign(Call(5, "echo")));
            raised = await gateway.ReceiveResponseAsync(5);
        }

        Assert.True((await client.SetTrustLevelAsync(registered.PassportId, 1, "behaviour baseline lost", authority.AdminToken)).IsSuccess);
        JsonObject lowered;
        await using (var gateway = StartGateway(authority, scratch, "lowered.jsonl"))
        {
            await gateway.SendAsync(current.Sign(Initialize));
            Assert.True((await gateway.ReceiveResponseAsync("init")).ContainsKey("result"));
            await gateway.SendAsync(current.Sign(Call(6, "echo")));
            lowered = await gateway.ReceiveResponseAsync(6);
        }

        Assert.Equal("MCPS-009", stale["error"]!["data"]!["mcps_code"]!.GetValue<string>());       // the old level-1 passport
        Assert.Equal("pay 10", raised["result"]!["content"]![0]!["text"]!.GetValue<string>());
        Assert.Equal("MCPS-009", lowered["error"]!["data"]!["mcps_code"]!.GetValue<string>());     // the level-3 copy, lowered at the TA
        Assert.Equal(["echo"], RecordedMessages.ToolCalls(scratch.File("raised.jsonl")));
        Assert.Empty(RecordedMessages.ToolCalls(scratch.File("lowered.jsonl")));
    }

    private sealed class Levels : IDisposable
    {
        private readonly SigningKey _authorityKey = SigningKey.Generate(SignatureAlgorithm.ES256);
        private readonly SigningKey _otherKey = SigningKey.Generate(SignatureAlgorithm.ES256);

        public Levels() => Anchors = PassportTrustStore.Empty.Add("ta", _authorityKey.PublicKey).Add("other", _otherKey.PublicKey);

        public PassportTrustStore Anchors { get; }

        public McpsWorld.FixedStatus Status { get; } = new();

        public TrustFixture.Agent Issue(string anchor, int level)
        {
            var key = SigningKey.Generate(SignatureAlgorithm.ES256);
            var passport = PassportIssuer.Issue(new PassportRequest { PublicKey = key.PublicKey, AgentName = "agent" },
                anchor == "ta" ? _authorityKey : _otherKey, PassportIssuerIdentity.Anchor(anchor), level);
            return new TrustFixture.Agent(key, passport);
        }

        public TrustFixture.Agent SelfIssued()
        {
            var key = SigningKey.Generate(SignatureAlgorithm.ES256);
            return new TrustFixture.Agent(key, PassportIssuer.CreateSelfIssued(new PassportRequest { PublicKey = key.PublicKey, AgentName = "agent" }, key, TimeProvider.System));
        }

        public async Task<McpsVerificationResult> VerifyAsync(TrustFixture.Agent agent, StatusPolicy policy = StatusPolicy.Required)
        {
            var verifier = new McpsMessageVerifier(McpsVerifierOptions.Default with { StatusPolicy = policy },
                TimeProvider.System, Anchors, new AgentTrust.Mcps.Replay.InMemoryNonceStore(), status: Status);
            return await verifier.VerifyAsync(System.Text.Encoding.UTF8.GetBytes(agent.Sign("""{"jsonrpc":"2.0","id":1,"method":"ping"}""")));
        }

        public void Dispose()
        {
            _authorityKey.Dispose();
            _otherKey.Dispose();
        }
    }

    [Theory]
    [InlineData("ta", 1, 3, 1)]      // a status answer never lifts the passport's own level (re-issue does)
    [InlineData("ta", 3, 1, 1)]      // lowered at the authority: applies at once
    [InlineData("ta", 2, null, 2)]   // no level in the status: the passport's own
    [InlineData("other", 1, 4, 1)]
    [InlineData("other", 3, 1, 1)]
    public async Task EffectiveLevel_IsTheMinimumOfPassportAndStatus(string anchor, int written, int? current, int expected)
    {
        using var levels = new Levels();
        using var agent = levels.Issue(anchor, written);
        levels.Status.Answer = new PassportStatus(PassportStatusKind.Active, current);

        var result = await levels.VerifyAsync(agent);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(expected, result.EffectiveTrustLevel);
    }

    [Fact]
    public async Task SelfIssuedPassport_NeverGainsALevel()
    {
        using var levels = new Levels();
        using var agent = levels.SelfIssued();
        levels.Status.Answer = new PassportStatus(PassportStatusKind.Active, 4);

        var result = await levels.VerifyAsync(agent);

        Assert.Equal(0, result.EffectiveTrustLevel);
    }

    [Fact]
    public async Task BestEffort_AsksTheAuthority_RefusesARevokedPassport_AndCapsAtOneOnlyWhenNoAnswer()
    {
        using var levels = new Levels();
        using var agent = levels.Issue("ta", 3);

        levels.Status.Answer = new PassportStatus(PassportStatusKind.Active, 2);
        var answered = await levels.VerifyAsync(agent, StatusPolicy.BestEffort);
        levels.Status.Answer = new PassportStatus(PassportStatusKind.Revoked);
        var revoked = await levels.VerifyAsync(agent, StatusPolicy.BestEffort);
        levels.Status.Unreachable = true;
        var unanswered = await levels.VerifyAsync(agent, StatusPolicy.BestEffort);
        var closed = await levels.VerifyAsync(agent, StatusPolicy.Required);

        Assert.Equal(2, answered.EffectiveTrustLevel);
        Assert.Equal(AgentTrust.Errors.McpsCode.PassportRevoked, revoked.Code);
        Assert.True(unanswered.IsValid);
        Assert.Equal(1, unanswered.EffectiveTrustLevel);
        Assert.Equal(AgentTrust.Errors.McpsCode.AuthorityUnreachable, closed.Code);
    }
}
