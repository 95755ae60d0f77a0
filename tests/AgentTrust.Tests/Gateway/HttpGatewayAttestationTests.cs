using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AgentTrust.Attestation;
using AgentTrust.Cryptography;
using AgentTrust.Gateway;
using AgentTrust.Gateway.Configuration;
using AgentTrust.Gateway.Http;
using AgentTrust.Gateway.Identity;
using AgentTrust.Jose;
using AgentTrust.Replay;
using AgentTrust.Tests.Gateway.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// Attestation in HTTP mode (Streamable HTTP gateway in front of server-everything), mode <c>required</c>: the verdict
/// of <c>initialize</c> belongs to its <c>Mcp-Session-Id</c>, and one replay store serves every session, so a token
/// replayed on a new session is refused.
/// </summary>
public sealed class HttpGatewayAttestationTests : IAsyncLifetime
{
    private const string Issuer = "https://issuer.test";
    private const string Audience = "https://gateway.test/mcp";
    private const string Kid = "k1";
    private readonly SigningKey _issuerKey = SigningKey.Generate(SignatureAlgorithm.EdDSA);
    private Process? _server;
    private HttpGateway? _gateway;
    private Uri? _endpoint;
    private Uri? _upstream;

    public async Task InitializeAsync()
    {
        var upstreamPort = FreePort();
        _server = GatewayPeers.Start("node", [GatewayPeers.ServerEverything, "streamableHttp"], new Dictionary<string, string> { ["PORT"] = upstreamPort.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while (await _server.StandardError.ReadLineAsync(timeout.Token) is { } line && !line.Contains("listening", StringComparison.OrdinalIgnoreCase))
            {
            }
        }

        _ = _server.StandardError.ReadToEndAsync();
        _upstream = new Uri($"http://127.0.0.1:{upstreamPort}/mcp");
    }

    // A gateway in front of server-everything in the given mode; with a trust store, client messages are MCPS-verified
    // (the presenter of a token is then its signer), and tool rules may ask for attestation.
    private async Task StartGatewayAsync(AttestationPolicyMode mode, string? trustStore = null, IReadOnlyDictionary<string, ToolRule>? tools = null)
    {
        var options = new GatewayOptions
        {
            Upstream = _upstream,
            Listen = $"127.0.0.1:{FreePort()}",
            DisablePins = true,
            TrustStore = trustStore,
            Tools = tools ?? new Dictionary<string, ToolRule>(),
            Attestation = new AttestationSettings { Issuers = [new AttestationIssuerSetting(Issuer, "inline")], Audience = Audience, Mode = mode },
        };
        var verifier = new AttestationVerifier(new AttestationVerifierOptions
        {
            Issuers = [new TrustedIssuer(Issuer, new StaticJwsKeyResolver(new Dictionary<string, VerificationKey> { [Kid] = _issuerKey.PublicKey }))],
            Audience = Audience,
            Mode = mode,
            ReplayStore = new InMemoryReplayStore(),
        });
        var trust = trustStore is null ? null : TrustSources.From(LocalTrustStore.Open(trustStore));
        var stages = GatewayPipelineFactory.CreateServerSide(options, _upstream!.AbsoluteUri, null, trust, null, attestation: verifier);
        _gateway = new HttpGateway(stages, options, NullLoggerFactory.Instance);
        _endpoint = new Uri(await _gateway.StartAsync(), "/mcp");
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
        }

        _server?.Dispose();
        _issuerKey.Dispose();
    }

    [Fact]
    public async Task SessionVerdict_HoldsForItsSessionOnly_AndATokenReplayedOnANewSessionIsRefused()
    {
        await StartGatewayAsync(AttestationPolicyMode.Required);
        using var http = new HttpClient();
        var token = Token();

        using var accepted = await http.SendAsync(Post(Initialize(token)));
        var session = accepted.Headers.GetValues("Mcp-Session-Id").Single();
        var acceptedBody = await accepted.Content.ReadAsStringAsync();
        using var replayed = await http.SendAsync(Post(Initialize(token)));
        using var missing = await http.SendAsync(Post(Initialize(null)));
        using var inSession = await http.SendAsync(Post("""{"jsonrpc":"2.0","id":2,"method":"tools/list"}""", session));
        var inSessionBody = await inSession.Content.ReadAsStringAsync();
        using var outsideSession = await http.SendAsync(Post("""{"jsonrpc":"2.0","id":3,"method":"tools/list"}"""));

        Assert.Contains("\"result\"", acceptedBody, StringComparison.Ordinal);
        Assert.Equal(AttestationReasons.Replay, (await ErrorAsync(replayed))["code"]!.GetValue<int>());
        Assert.Equal(AttestationReasons.Required, (await ErrorAsync(missing))["code"]!.GetValue<int>());
        Assert.Contains("\"tools\"", inSessionBody, StringComparison.Ordinal);
        var refused = await ErrorAsync(outsideSession);
        Assert.Equal(AttestationReasons.Required, refused["code"]!.GetValue<int>());
        Assert.Equal("MCPS-020", refused["data"]!["mcps_code"]!.GetValue<string>());
    }

    [Fact]
    public async Task SessionVerdict_BelongsToItsSigner_AnotherPassportThatLearnedTheSessionIdGetsNothing()
    {
        using var trust = new TrustFixture();
        using var owner = trust.IssueAgent(level: 2);
        using var intruder = trust.IssueAgent(level: 2);
        await StartGatewayAsync(AttestationPolicyMode.Required, trust.TrustStore);
        using var http = new HttpClient();

        using var accepted = await http.SendAsync(Post(owner.Sign(Initialize(Token()))));
        var session = accepted.Headers.GetValues("Mcp-Session-Id").Single();
        Assert.Equal("verified", Advertised(await MessageAsync(accepted))["verification_status"]!.GetValue<string>());
        (await http.SendAsync(Post(owner.Sign("""{"jsonrpc":"2.0","method":"notifications/initialized"}"""), session))).Dispose();

        using var intruderList = await http.SendAsync(Post(intruder.Sign("""{"jsonrpc":"2.0","id":2,"method":"tools/list"}"""), session));
        using var intruderCall = await http.SendAsync(Post(intruder.Sign(EchoCall(3, "stolen session")), session));
        using var intruderInit = await http.SendAsync(Post(intruder.Sign(Initialize(null)), session));
        using var ownerCall = await http.SendAsync(Post(owner.Sign(EchoCall(4, "still mine")), session));

        // The MCPS stage refuses another signer in the session before attestation is even looked at (MCPS-018).
        foreach (var refused in new[] { intruderList, intruderCall, intruderInit })
        {
            var error = (await MessageAsync(refused))["error"]!;
            Assert.Equal("MCPS-018", error["data"]!["mcps_code"]!.GetValue<string>());
            Assert.Equal("session_signer_mismatch", error["data"]!["reason"]!.GetValue<string>());
        }

        Assert.Equal("Echo: still mine", (await MessageAsync(ownerCall))["result"]!["content"]![0]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task WithoutAttestationRequired_AnotherPassportThatLearnedTheSessionId_CannotActInIt()
    {
        using var trust = new TrustFixture();
        using var owner = trust.IssueAgent(level: 2);
        using var intruder = trust.IssueAgent(level: 2);
        await StartGatewayAsync(AttestationPolicyMode.Optional, trust.TrustStore);
        using var http = new HttpClient();

        using var accepted = await http.SendAsync(Post(owner.Sign(Initialize(null))));
        var session = accepted.Headers.GetValues("Mcp-Session-Id").Single();
        (await http.SendAsync(Post(owner.Sign("""{"jsonrpc":"2.0","method":"notifications/initialized"}"""), session))).Dispose();
        using var intruderCall = await http.SendAsync(Post(intruder.Sign(EchoCall(3, "stolen session")), session));
        using var ownerCall = await http.SendAsync(Post(owner.Sign(EchoCall(4, "still mine")), session));
        using var intruderOwnSession = await http.SendAsync(Post(intruder.Sign(Initialize(null))));

        var refused = (await MessageAsync(intruderCall))["error"]!["data"]!;
        Assert.Equal("MCPS-018", refused["mcps_code"]!.GetValue<string>());
        Assert.Equal("session_signer_mismatch", refused["reason"]!.GetValue<string>());
        Assert.Equal("Echo: still mine", (await MessageAsync(ownerCall))["result"]!["content"]![0]!["text"]!.GetValue<string>());
        Assert.True((await MessageAsync(intruderOwnSession)).ContainsKey("result"));   // its own session is its own
    }

    [Fact]
    public async Task Preferred_NoTokenProceedsAtLevelNone_AnInvalidTokenIsRefused_AndARequiredToolStillNeedsOne()
    {
        using var trust = new TrustFixture();
        using var agent = trust.IssueAgent(level: 2);
        await StartGatewayAsync(AttestationPolicyMode.Preferred, trust.TrustStore,
            new Dictionary<string, ToolRule> { ["echo"] = new() { RequireAttestation = true } });
        using var http = new HttpClient();

        using var unattested = await http.SendAsync(Post(agent.Sign(Initialize(null))));
        var session = unattested.Headers.GetValues("Mcp-Session-Id").Single();
        var none = Advertised(await MessageAsync(unattested));
        (await http.SendAsync(Post(agent.Sign("""{"jsonrpc":"2.0","method":"notifications/initialized"}"""), session))).Dispose();
        using var sum = await http.SendAsync(Post(agent.Sign("""{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get-sum","arguments":{"a":2,"b":3}}}"""), session));
        using var echo = await http.SendAsync(Post(agent.Sign(EchoCall(3, "unattested")), session));

        var valid = Token();
        var parts = valid.Split('.');
        using var tampered = await http.SendAsync(Post(agent.Sign(Initialize(parts[0] + "." + parts[1] + "." + (parts[2][0] == 'A' ? 'B' : 'A') + parts[2][1..]))));
        using var attested = await http.SendAsync(Post(agent.Sign(Initialize(valid))));
        var attestedSession = attested.Headers.GetValues("Mcp-Session-Id").Single();
        var verified = Advertised(await MessageAsync(attested));
        (await http.SendAsync(Post(agent.Sign("""{"jsonrpc":"2.0","method":"notifications/initialized"}"""), attestedSession))).Dispose();
        using var attestedEcho = await http.SendAsync(Post(agent.Sign(EchoCall(4, "attested")), attestedSession));

        Assert.Equal("preferred", none["policy"]!.GetValue<string>());
        Assert.Equal("none", none["trust_level"]!.GetValue<string>());
        Assert.False(none.ContainsKey("verification_status"));
        Assert.Equal([Issuer], none["trusted_issuers"]!.AsArray().Select(i => i!.GetValue<string>()));
        Assert.Contains("5", (await MessageAsync(sum))["result"]!["content"]![0]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        var refusedTool = (await MessageAsync(echo))["error"]!;
        Assert.Equal(AttestationReasons.Required, refusedTool["code"]!.GetValue<int>());
        Assert.Equal("echo", refusedTool["data"]!["tool"]!.GetValue<string>());
        var refusedToken = (await MessageAsync(tampered))["error"]!;
        Assert.Equal(AttestationReasons.Invalid, refusedToken["code"]!.GetValue<int>());
        Assert.Equal("bad_signature", refusedToken["data"]!["reason"]!.GetValue<string>());
        Assert.Equal("verified", verified["verification_status"]!.GetValue<string>());
        Assert.Equal("preferred", verified["policy"]!.GetValue<string>());
        Assert.Equal("provider", verified["trust_level"]!.GetValue<string>());
        Assert.Equal("Echo: attested", (await MessageAsync(attestedEcho))["result"]!["content"]![0]!["text"]!.GetValue<string>());
    }

    private string Token() => new AttestationTokenIssuer(_issuerKey, Kid, Issuer).Issue(new AttestationTokenRequest
    {
        Audience = Audience,
        Subject = "spiffe://issuer.test/agent/test",
        AgentIdentity = new AgentIdentity("test-model", "test-model-1", "test-provider"),
    });

    private static string EchoCall(int id, string text) =>
        new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = "tools/call", ["params"] = new JsonObject { ["name"] = "echo", ["arguments"] = new JsonObject { ["message"] = text } } }.ToJsonString();

    private static JsonObject Advertised(JsonObject initializeAnswer) =>
        (JsonObject)initializeAnswer["result"]!["capabilities"]!["experimental"]![AttestationNames.CapabilityKey]!;

    // The JSON-RPC answer of a POST, whether the gateway relayed it as JSON or as an SSE stream (the last non-empty data
    // payload that is an answer; server-everything opens its streams with an empty priming event).
    private static async Task<JsonObject> MessageAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
        {
            return (JsonObject)JsonNode.Parse(body)!;
        }

        return body.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("data:", StringComparison.Ordinal) && l[5..].Trim().Length > 0)
            .Select(l => (JsonObject)JsonNode.Parse(l[5..])!)
            .Last(m => m.ContainsKey("result") || m.ContainsKey("error"));
    }

    private static string Initialize(string? token)
    {
        var init = (JsonObject)JsonNode.Parse("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}""")!;
        if (token is not null)
        {
            AttestationPlacement.SetInitializeToken((JsonObject)init["params"]!, token);
        }

        return init.ToJsonString();
    }

    private static async Task<JsonObject> ErrorAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return (JsonObject)body["error"]!;
    }

    private HttpRequestMessage Post(string json, string? session = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (session is not null)
        {
            request.Headers.Add("Mcp-Session-Id", session);
            request.Headers.Add("MCP-Protocol-Version", "2025-11-25");
        }

        return request;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
