using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AgentTrust.Attestation;
using AgentTrust.Cryptography;
using AgentTrust.Gateway;
using AgentTrust.Gateway.Configuration;
using AgentTrust.Gateway.Http;
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
        var options = new GatewayOptions
        {
            Upstream = new Uri($"http://127.0.0.1:{upstreamPort}/mcp"),
            Listen = $"127.0.0.1:{FreePort()}",
            DisablePins = true,
            Attestation = new AttestationSettings { Issuers = [new AttestationIssuerSetting(Issuer, "inline")], Audience = Audience, Mode = AttestationPolicyMode.Required },
        };
        var verifier = new AttestationVerifier(new AttestationVerifierOptions
        {
            Issuers = [new TrustedIssuer(Issuer, new StaticJwsKeyResolver(new Dictionary<string, VerificationKey> { [Kid] = _issuerKey.PublicKey }))],
            Audience = Audience,
            Mode = AttestationPolicyMode.Required,
            ReplayStore = new InMemoryReplayStore(),
        });
        var stages = GatewayPipelineFactory.CreateServerSide(options, options.Upstream.AbsoluteUri, null, null, null, attestation: verifier);
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
        using var http = new HttpClient();
        var token = new AttestationTokenIssuer(_issuerKey, Kid, Issuer).Issue(new AttestationTokenRequest
        {
            Audience = Audience,
            Subject = "spiffe://issuer.test/agent/test",
            AgentIdentity = new AgentIdentity("test-model", "test-model-1", "test-provider"),
        });

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
