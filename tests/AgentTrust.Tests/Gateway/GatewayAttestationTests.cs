using System.Text.Json.Nodes;
using AgentTrust.Attestation;
using AgentTrust.Cryptography;
using AgentTrust.Tests.Gateway.Support;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// The server-side gateway verifying attestation tokens (issue 7) in front of the real recording server: tokens minted by
/// <see cref="AttestationTokenIssuer"/> with a test key published in a JWKS file; a refused call never reaches the server.
/// </summary>
public sealed class GatewayAttestationTests
{
    private const string Issuer = "https://issuer.test";
    private const string Audience = "https://gateway.test/mcp";
    private const string Kid = "test-issuer-1";
    private const string EchoCall = """{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"text":"pay 10"}}}""";
    private const string Initialized = """{"jsonrpc":"2.0","method":"notifications/initialized"}""";

    private sealed class Setup : IDisposable
    {
        public Setup()
        {
            Trust = new TrustFixture();
            Agent = Trust.IssueAgent(level: 2);
            IssuerKey = SigningKey.Generate(SignatureAlgorithm.EdDSA);
            var jwk = JsonNode.Parse(IssuerKey.PublicKey.ToJsonWebKey().With(kid: Kid).ToJson())!;
            Jwks = Trust.Scratch.File("issuer-jwks.json");
            File.WriteAllText(Jwks, new JsonObject { ["keys"] = new JsonArray(jwk) }.ToJsonString());
            Config = Trust.Scratch.File("gateway.json");
            File.WriteAllText(Config, """{ "tools": { "echo": { "requireAttestation": true } } }""");
        }

        public TrustFixture Trust { get; }

        public TrustFixture.Agent Agent { get; }

        public SigningKey IssuerKey { get; }

        public string Jwks { get; }

        public string Config { get; }

        public string Token(string audience = Audience, TimeProvider? mintedAt = null) =>
            new AttestationTokenIssuer(IssuerKey, Kid, Issuer, mintedAt).Issue(new AttestationTokenRequest
            {
                Audience = audience,
                Subject = "spiffe://issuer.test/agent/test",
                AgentIdentity = new AgentIdentity("test-model", "test-model-1", "test-provider"),
            });

        public RawGatewayProcess Start(params string[] extra) =>
            new(["--trust-store", Trust.TrustStore, "--no-pins", "--config", Config,
                "--attestation-issuer", Issuer, "--attestation-jwks", Jwks, "--attestation-audience", Audience, .. extra],
                ["node", GatewayPeers.RecordingServer], new Dictionary<string, string>
                {
                    ["RECEIVED_LOG"] = Trust.Scratch.File("received.jsonl"),
                    ["AGENTTRUST_HOME"] = Trust.Scratch.File("home"),
                });

        public string[] ToolCalls() => [.. RecordedMessages.ToolCalls(Trust.Scratch.File("received.jsonl"))];

        public string Initialize(string? token)
        {
            var init = (JsonObject)JsonNode.Parse("""{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}""")!;
            if (token is not null)
            {
                AttestationPlacement.SetInitializeToken((JsonObject)init["params"]!, token);
            }

            return Agent.Sign(init.ToJsonString());
        }

        public void Dispose()
        {
            IssuerKey.Dispose();
            Agent.Dispose();
            Trust.Dispose();
        }
    }

    private static void AssertAttestationRefused(JsonObject answer, int expectedCode, string reason)
    {
        Assert.Equal(expectedCode, answer["error"]!["code"]!.GetValue<int>());
        Assert.Equal("MCPS-020", answer["error"]!["data"]!["mcps_code"]!.GetValue<string>());
        Assert.Equal(reason, answer["error"]!["data"]!["reason"]!.GetValue<string>());
    }

    // A connection belongs to the signer of its first verified message: the MCPS stage refuses anyone else before
    // attestation is looked at.
    private static void AssertOtherSignerRefused(JsonObject answer)
    {
        Assert.Equal("MCPS-018", answer["error"]!["data"]!["mcps_code"]!.GetValue<string>());
        Assert.Equal("session_signer_mismatch", answer["error"]!["data"]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task VerifiedTokenAtInitialize_LetsTheRequiredToolThrough()
    {
        using var setup = new Setup();
        await using var gateway = setup.Start();
        await gateway.SendAsync(setup.Initialize(setup.Token()));
        var initialized = await gateway.ReceiveResponseAsync("init");
        await gateway.SendAsync(setup.Agent.Sign(Initialized));

        await gateway.SendAsync(setup.Agent.Sign(EchoCall));
        var answer = await gateway.ReceiveResponseAsync(5);

        var echoed = initialized["result"]!["capabilities"]!["experimental"]![AttestationNames.CapabilityKey]!;
        Assert.Equal("verified", echoed["verification_status"]!.GetValue<string>());
        Assert.Equal(Issuer, echoed["issuer"]!.GetValue<string>());
        Assert.Equal("pay 10", answer["result"]!["content"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(["echo"], setup.ToolCalls());
    }

    [Fact]
    public async Task NoToken_TheRequiredToolIsRefusedWithMcps020_AndNeverReachesTheServer_WhileOtherToolsPass()
    {
        using var setup = new Setup();
        await using var gateway = setup.Start();
        await gateway.SendAsync(setup.Initialize(null));
        Assert.True((await gateway.ReceiveResponseAsync("init")).ContainsKey("result"));
        await gateway.SendAsync(setup.Agent.Sign(Initialized));

        await gateway.SendAsync(setup.Agent.Sign(EchoCall));
        var refused = await gateway.ReceiveResponseAsync(5);
        await gateway.SendAsync(setup.Agent.Sign("""{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"changeable","arguments":{"text":"x"}}}"""));
        var allowed = await gateway.ReceiveResponseAsync(6);

        AssertAttestationRefused(refused, AttestationReasons.Required, "missing");
        Assert.True(allowed.ContainsKey("result"));
        Assert.Equal(["changeable"], setup.ToolCalls());
    }

    [Fact]
    public async Task BadTokens_AreRefusedAtInitialize_WithTheirCodes_AndAReplayedTokenOrSecondInitializeIsRefused()
    {
        using var setup = new Setup();
        var valid = setup.Token();
        var parts = valid.Split('.');
        var tampered = parts[0] + "." + parts[1] + "." + (parts[2][0] == 'A' ? 'B' : 'A') + parts[2][1..];
        var expired = setup.Token(mintedAt: new FixedClock(TimeProvider.System.GetUtcNow().AddHours(-2)));
        await using var gateway = setup.Start();

        var cases = new (string Token, int Code, string Reason)[]
        {
            (tampered, AttestationReasons.Invalid, "bad_signature"),
            (setup.Token(audience: "https://someone-else.test"), AttestationReasons.Invalid, "audience_mismatch"),
            (expired, AttestationReasons.Expired, "expired"),
            (valid, 0, ""),
        };
        foreach (var (token, code, reason) in cases)
        {
            await gateway.SendAsync(setup.Initialize(token));
            var answer = await gateway.ReceiveResponseAsync("init");
            if (code == 0)
            {
                Assert.True(answer.ContainsKey("result"), answer.ToJsonString());
            }
            else
            {
                AssertAttestationRefused(answer, code, reason);
            }
        }

        // The attested connection cannot be initialized again (its verdict is neither replaced nor cleared), and the
        // token replayed on the next connection (another gateway process, same replay store) is a replay.
        await gateway.SendAsync(setup.Initialize(setup.Token()));
        var again = await gateway.ReceiveResponseAsync("init");
        await using var next = setup.Start();
        await next.SendAsync(setup.Initialize(valid));
        var replayed = await next.ReceiveResponseAsync("init");

        Assert.Equal(-32600, again["error"]!["code"]!.GetValue<int>());
        Assert.Equal("already_initialized", again["error"]!["data"]!["reason"]!.GetValue<string>());
        AssertAttestationRefused(replayed, AttestationReasons.Replay, "replay");
        Assert.Empty(setup.ToolCalls());
    }

    [Fact]
    public async Task TokenInRequestMeta_IsVerifiedPerRequest_BoundToItsFirstPresenter()
    {
        using var setup = new Setup();
        using var other = setup.Trust.IssueAgent(level: 2);
        await using var gateway = setup.Start();
        await gateway.SendAsync(setup.Initialize(null));
        Assert.True((await gateway.ReceiveResponseAsync("init")).ContainsKey("result"));
        await gateway.SendAsync(setup.Agent.Sign(Initialized));
        var token = setup.Token();
        string Call(int id)
        {
            var call = (JsonObject)JsonNode.Parse(EchoCall)!;
            call["id"] = id;
            AttestationPlacement.SetRequestToken((JsonObject)call["params"]!, token);
            return call.ToJsonString();
        }

        await gateway.SendAsync(setup.Agent.Sign(Call(7)));
        var first = await gateway.ReceiveResponseAsync(7);
        await gateway.SendAsync(setup.Agent.Sign(Call(8)));
        var again = await gateway.ReceiveResponseAsync(8);
        await gateway.SendAsync(other.Sign(Call(9)));
        var otherSigner = await gateway.ReceiveResponseAsync(9);

        // The thief on a connection of its own (a second gateway process sharing the replay store of the machine).
        await using var second = setup.Start();
        await second.SendAsync(other.Sign("""{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"thief","version":"1"}}}"""));
        Assert.True((await second.ReceiveResponseAsync("init")).ContainsKey("result"));
        await second.SendAsync(other.Sign(Call(9)));
        var stolen = await second.ReceiveResponseAsync(9);

        Assert.Equal("verified", first["result"]!["_meta"]![AttestationPlacement.ResultMetaKey]!["verification_status"]!.GetValue<string>());
        Assert.True(again.ContainsKey("result"), again.ToJsonString());
        AssertOtherSignerRefused(otherSigner);
        AssertAttestationRefused(stolen, AttestationReasons.Replay, "replay");
        Assert.Equal(["echo", "echo"], setup.ToolCalls());
    }

    [Fact]
    public async Task Required_BeforeAVerifiedVerdict_OnlyDiscoverAndTokenCarryingMessagesReachTheServer()
    {
        using var setup = new Setup();
        await using var gateway = setup.Start("--attestation-mode", "required");
        var token = setup.Token();
        string WithToken(string json)
        {
            var message = (JsonObject)JsonNode.Parse(json)!;
            AttestationPlacement.SetRequestToken((JsonObject)message["params"]!, token);
            return message.ToJsonString();
        }

        // Never attested: a ping, notifications and an answer to a (supposed) server request are all refused.
        await gateway.SendAsync(setup.Agent.Sign("""{"jsonrpc":"2.0","id":"p1","method":"ping"}"""));
        var ping = await gateway.ReceiveResponseAsync("p1");
        await gateway.SendAsync(setup.Agent.Sign("""{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"x1","reason":"unattested"}}"""));
        await gateway.SendAsync(setup.Agent.Sign("""{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}"""));
        await gateway.SendAsync(setup.Agent.Sign("""{"jsonrpc":"2.0","id":"s1","result":{"roots":[{"uri":"file:///etc","name":"unattested"}]}}"""));

        // server/discover is how a client learns the requirement; a stateless request or notification carrying its
        // own token (2026-07-28) passes on its own verdict.
        await gateway.SendAsync(setup.Agent.Sign("""{"jsonrpc":"2.0","id":"d1","method":"server/discover"}"""));
        var discover = await gateway.ReceiveResponseAsync("d1");
        await gateway.SendAsync(setup.Agent.Sign(WithToken(EchoCall)));
        var call = await gateway.ReceiveResponseAsync(5);
        await gateway.SendAsync(setup.Agent.Sign(WithToken("""{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"x2","reason":"attested"}}""")));
        await gateway.SendAsync(setup.Agent.Sign("""{"jsonrpc":"2.0","id":"d2","method":"server/discover"}"""));
        await gateway.ReceiveResponseAsync("d2");

        AssertAttestationRefused(ping, AttestationReasons.Required, "missing");
        Assert.NotEqual("MCPS-020", discover["error"]?["data"]?["mcps_code"]?.GetValue<string>());
        Assert.Equal("pay 10", call["result"]!["content"]![0]!["text"]!.GetValue<string>());
        var received = RecordedMessages.Read(setup.Trust.Scratch.File("received.jsonl"));
        Assert.Equal(["server/discover", "tools/call", "notifications/cancelled", "server/discover"],
            received.Where(m => m.ContainsKey("method")).Select(m => m["method"]!.GetValue<string>()));
        Assert.Equal("x2", received.Single(m => m["method"]?.GetValue<string>() == "notifications/cancelled")["params"]!["requestId"]!.GetValue<string>());

        // The refused answer reached the server only as the gateway's error in its place, never as the client's result.
        var answer = Assert.Single(received, m => !m.ContainsKey("method"));
        Assert.False(answer.ContainsKey("result"));
        Assert.Equal(AttestationReasons.Required, answer["error"]!["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task SessionVerdict_BelongsToTheSignerThatPresentedIt_AnotherPassportOnTheConnectionHasNone()
    {
        using var setup = new Setup();
        using var other = setup.Trust.IssueAgent(level: 2);
        await using var gateway = setup.Start("--attestation-mode", "required");
        await gateway.SendAsync(setup.Initialize(setup.Token()));
        Assert.True((await gateway.ReceiveResponseAsync("init")).ContainsKey("result"));
        await gateway.SendAsync(setup.Agent.Sign(Initialized));

        await gateway.SendAsync(other.Sign(EchoCall.Replace("\"id\":5", "\"id\":6", StringComparison.Ordinal)));
        var intruderCall = await gateway.ReceiveResponseAsync(6);
        await gateway.SendAsync(other.Sign("""{"jsonrpc":"2.0","id":7,"method":"tools/list"}"""));
        var intruderList = await gateway.ReceiveResponseAsync(7);
        await gateway.SendAsync(other.Sign("""{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"x9","reason":"intruder"}}"""));
        await gateway.SendAsync(other.Sign("""{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"intruder","version":"1"}}}"""));
        var intruderInit = await gateway.ReceiveResponseAsync("init");
        await gateway.SendAsync(setup.Agent.Sign(EchoCall));
        var ownerCall = await gateway.ReceiveResponseAsync(5);

        AssertOtherSignerRefused(intruderCall);
        AssertOtherSignerRefused(intruderList);
        AssertOtherSignerRefused(intruderInit);
        Assert.Equal("pay 10", ownerCall["result"]!["content"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(["initialize", "notifications/initialized", "tools/call"], RecordedMessages.Methods(setup.Trust.Scratch.File("received.jsonl")));
    }

    [Fact]
    public async Task SessionVerdict_UnderOptional_AnotherSignerCannotUseTheConnection()
    {
        using var setup = new Setup();
        using var other = setup.Trust.IssueAgent(level: 2);
        await using var gateway = setup.Start();
        await gateway.SendAsync(setup.Initialize(setup.Token()));
        Assert.True((await gateway.ReceiveResponseAsync("init")).ContainsKey("result"));
        await gateway.SendAsync(setup.Agent.Sign(Initialized));

        await gateway.SendAsync(other.Sign(EchoCall));
        var intruderEcho = await gateway.ReceiveResponseAsync(5);
        await gateway.SendAsync(other.Sign("""{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"changeable","arguments":{"text":"x"}}}"""));
        var intruderOther = await gateway.ReceiveResponseAsync(6);

        AssertOtherSignerRefused(intruderEcho);
        AssertOtherSignerRefused(intruderOther);
        Assert.Empty(setup.ToolCalls());
    }

    [Fact]
    public async Task Preferred_NoToken_ProceedsAtLevelNone_WithAWarningOnStderr()
    {
        using var setup = new Setup();
        await using var gateway = setup.Start("--attestation-mode", "preferred");
        await gateway.SendAsync(setup.Initialize(null));
        var initialized = await gateway.ReceiveResponseAsync("init");
        gateway.CloseInput();
        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        var advertised = initialized["result"]!["capabilities"]!["experimental"]![AttestationNames.CapabilityKey]!;
        Assert.Equal("none", advertised["trust_level"]!.GetValue<string>());
        Assert.Equal("preferred", advertised["policy"]!.GetValue<string>());
        Assert.Single(gateway.StandardError.Split('\n'), l => l.Contains("warn", StringComparison.Ordinal) && l.Contains("unattested", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ToolRestrictedToAnotherIssuer_RefusesAVerifiedTokenOfThisIssuer()
    {
        using var setup = new Setup();
        File.WriteAllText(setup.Config, """{ "tools": { "echo": { "requireAttestation": true, "attestationIssuers": ["https://other.test"] } } }""");
        await using var gateway = setup.Start("--attestation-issuer", "https://other.test", "--attestation-jwks", setup.Jwks);
        await gateway.SendAsync(setup.Initialize(setup.Token()));
        Assert.True((await gateway.ReceiveResponseAsync("init")).ContainsKey("result"));
        await gateway.SendAsync(setup.Agent.Sign(Initialized));

        await gateway.SendAsync(setup.Agent.Sign(EchoCall));

        AssertAttestationRefused(await gateway.ReceiveResponseAsync(5), AttestationReasons.IssuerUntrusted, "untrusted_issuer");
        Assert.Empty(setup.ToolCalls());
    }

    [Fact]
    public async Task RequireAttestationWithoutAnIssuer_IsAConfigurationError()
    {
        using var setup = new Setup();
        await using var gateway = new RawGatewayProcess(["--trust-store", setup.Trust.TrustStore, "--no-pins", "--config", setup.Config],
            ["node", GatewayPeers.RecordingServer], new Dictionary<string, string> { ["AGENTTRUST_HOME"] = setup.Trust.Scratch.File("home") });

        Assert.Equal(2, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("requireAttestation", gateway.StandardError, StringComparison.Ordinal);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
