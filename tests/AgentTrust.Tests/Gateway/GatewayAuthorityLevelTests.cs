using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Mcps.Envelopes;
using AgentTrust.Mcps.Passports;
using AgentTrust.Tests.Authority;
using AgentTrust.Tests.Gateway.Support;
using AgentTrust.Tests.Mcps;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// Trust levels are raised and lowered at the Trust Authority (mcps.md §8): with <c>--authority</c>, the level the
/// authority reports now is the level of the passports it issued, up or down, without re-issuing them; a passport
/// from any other anchor never gains a level from a status answer, and a self-issued one stays at 0.
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
    public async Task LevelRaisedAtTheAuthority_AppliesWithoutReissue_AndLoweredAgain_IsRefusedWithMcps009()
    {
        await using var authority = await AuthorityTestHost.StartAsync();
        using var scratch = new ScratchDirectory();
        var registered = authority.NewAgent();
        await authority.RegisterAsync(registered);
        var client = authority.Client();
        var issued = await client.ResolvePassportAsync(registered.PassportId);
        Assert.True(AgentPassport.TryParse(issued.Value!, out var passport, out _));
        Assert.Equal(1, passport!.ClaimedTrustLevel);
        using var agent = new TrustFixture.Agent(registered.Key, passport);

        Assert.True((await client.SetTrustLevelAsync(agent.Passport.PassportId, 3, "security scan passed", authority.AdminToken)).IsSuccess);
        JsonObject raised;
        await using (var gateway = StartGateway(authority, scratch, "raised.jsonl"))
        {
            await gateway.SendAsync(agent.Sign(Initialize));
            Assert.True((await gateway.ReceiveResponseAsync("init")).ContainsKey("result"));
            await gateway.SendAsync(agent.Sign(Call(5, "echo")));
            raised = await gateway.ReceiveResponseAsync(5);
        }

        Assert.True((await client.SetTrustLevelAsync(agent.Passport.PassportId, 1, "behaviour baseline lost", authority.AdminToken)).IsSuccess);
        JsonObject lowered;
        await using (var gateway = StartGateway(authority, scratch, "lowered.jsonl"))
        {
            await gateway.SendAsync(agent.Sign(Initialize));
            Assert.True((await gateway.ReceiveResponseAsync("init")).ContainsKey("result"));
            await gateway.SendAsync(agent.Sign(Call(6, "echo")));
            lowered = await gateway.ReceiveResponseAsync(6);
        }

        Assert.Equal("pay 10", raised["result"]!["content"]![0]!["text"]!.GetValue<string>());
        Assert.Equal("MCPS-009", lowered["error"]!["data"]!["mcps_code"]!.GetValue<string>());
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
            var verifier = new McpsMessageVerifier(McpsVerifierOptions.Default with { StatusPolicy = policy, AuthoritativeLevelAnchors = ["ta"] },
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
    [InlineData("ta", 1, 3, 3)]      // raised at the authority that issued it
    [InlineData("ta", 3, 1, 1)]      // lowered there
    [InlineData("ta", 2, null, 2)]   // no level in the status: the passport's own
    [InlineData("other", 1, 4, 1)]   // another anchor's passport never gains a level from a status answer
    [InlineData("other", 3, 1, 1)]   // but is lowered by it
    public async Task EffectiveLevel_FollowsTheIssuingAuthority_Only(string anchor, int written, int? current, int expected)
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
        using var agent = levels.Issue("ta", 1);

        levels.Status.Answer = new PassportStatus(PassportStatusKind.Active, 3);
        var answered = await levels.VerifyAsync(agent, StatusPolicy.BestEffort);
        levels.Status.Answer = new PassportStatus(PassportStatusKind.Revoked);
        var revoked = await levels.VerifyAsync(agent, StatusPolicy.BestEffort);
        levels.Status.Unreachable = true;
        var unanswered = await levels.VerifyAsync(agent, StatusPolicy.BestEffort);
        var closed = await levels.VerifyAsync(agent, StatusPolicy.Required);

        Assert.Equal(3, answered.EffectiveTrustLevel);
        Assert.Equal(AgentTrust.Errors.McpsCode.PassportRevoked, revoked.Code);
        Assert.True(unanswered.IsValid);
        Assert.Equal(1, unanswered.EffectiveTrustLevel);
        Assert.Equal(AgentTrust.Errors.McpsCode.AuthorityUnreachable, closed.Code);
    }
}
