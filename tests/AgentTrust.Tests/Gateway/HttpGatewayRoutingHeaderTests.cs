using System.Net;
using System.Text.Json.Nodes;
using AgentTrust.Gateway;
using AgentTrust.Gateway.Configuration;
using AgentTrust.Gateway.Http;
using AgentTrust.Gateway.Identity;
using AgentTrust.KeyStore;
using AgentTrust.Mcps.Envelopes;
using AgentTrust.Tests.Gateway.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// The 2026-07-28 routing headers (<c>Mcp-Method</c>, <c>Mcp-Name</c>, <c>MCP-Protocol-Version</c>) must name what the
/// body says, because intermediaries route on them while the gateway verifies the body; and every JSON-RPC error the
/// gateway writes itself is countersigned and bound to the request. The upstream is a closed loopback port: a request
/// that gets <c>upstream_unreachable</c> was forwarded, one that gets −32020 was stopped before.
/// </summary>
public sealed class HttpGatewayRoutingHeaderTests : IAsyncLifetime
{
    private const string Stateless = "2026-07-28";
    private readonly ScratchDirectory _scratch = new();
    private GatewayIdentity? _identity;
    private HttpGateway? _gateway;
    private Uri? _endpoint;

    public async Task InitializeAsync()
    {
        _identity = await GatewayIdentity.LoadOrCreateAsync(new FileKeyStore(_scratch.File("keys")), "gw", _scratch.File("gw.passport.json"), () => null, TimeProvider.System);
        var options = new GatewayOptions
        {
            Upstream = new Uri($"http://127.0.0.1:{HttpPeers.FreePort()}/mcp"),
            Listen = $"127.0.0.1:{HttpPeers.FreePort()}",
            DisablePins = true,
        };
        _gateway = new HttpGateway(GatewayPipelineFactory.CreateServerSide(options, options.Upstream.AbsoluteUri, _identity, null, null), options, NullLoggerFactory.Instance);
        _endpoint = new Uri(await _gateway.StartAsync(), "/mcp");
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        _identity?.Dispose();
        _scratch.Dispose();
    }

    public static TheoryData<string, string?, string?, string?> Mismatches => new()
    {
        // body method, Mcp-Method, Mcp-Name, MCP-Protocol-Version
        { "tools/call", "tools/list", "echo", Stateless },
        { "tools/call", "tools/call", "delete-everything", Stateless },
        { "tools/call", "tools/call", "=?base64?ZGVsZXRlLWV2ZXJ5dGhpbmc=?=", Stateless },
        { "tools/call", "tools/call", "=?base64?not base64!?=", Stateless },
        { "tools/call", "tools/call", null, Stateless },
        { "tools/call", null, "echo", Stateless },
        { "resources/read", "resources/read", "echo", Stateless },
        { "tools/list", "tools/call", null, "2025-11-25" },
    };

    [Theory]
    [MemberData(nameof(Mismatches))]
    public async Task HeadersThatDisagreeWithTheBody_AreRefusedWith400AndMinus32020_BeforeForwarding(string bodyMethod, string? methodHeader, string? nameHeader, string? versionHeader)
    {
        var body = Request(bodyMethod, versionHeader == Stateless ? Stateless : null);

        var (status, answer) = await PostAsync(body, methodHeader, nameHeader, versionHeader);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(-32020, answer["error"]!["code"]!.GetValue<int>());
        Assert.Equal("header_mismatch", answer["error"]!["data"]!["reason"]!.GetValue<string>());
        AssertCountersignedFor(answer, body);
    }

    [Fact]
    public async Task ProtocolVersionHeaderThatDisagreesWithMeta_IsRefusedWithMinus32020()
    {
        var body = Request("tools/call", Stateless);

        var (status, answer) = await PostAsync(body, "tools/call", "echo", "2025-11-25");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(-32020, answer["error"]!["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task AHeaderGivenTwice_IsRefused_EvenWithTheSameValueTwice()
    {
        // Two header lines, written on the wire by hand: HttpClient would join two values into one line, and a joined
        // "tools/list, tools/list" fails as a mismatch, not as a repeated header.
        var body = Request("tools/list", Stateless).ToJsonString();
        (string, string)[] once = [("Mcp-Method", "tools/list"), ("MCP-Protocol-Version", Stateless)];
        (string, string)[] twice = [.. once, ("Mcp-Method", "tools/list")];

        Assert.Equal(200, await RawPostAsync(body, once));
        Assert.Equal(400, await RawPostAsync(body, twice));
    }

    private async Task<int> RawPostAsync(string body, IEnumerable<(string Name, string Value)> headers)
    {
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(_endpoint!.Host, _endpoint.Port);
        await using var stream = client.GetStream();
        var content = System.Text.Encoding.UTF8.GetBytes(body);
        var head = new System.Text.StringBuilder()
            .Append("POST ").Append(_endpoint.AbsolutePath).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(_endpoint.Authority).Append("\r\n")
            .Append("Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nConnection: close\r\n")
            .Append("Content-Length: ").Append(content.Length).Append("\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()));
        await stream.WriteAsync(content);
        using var reader = new StreamReader(stream, System.Text.Encoding.ASCII);
        var status = await reader.ReadLineAsync() ?? throw new EndOfStreamException("no answer");
        return int.Parse(status.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    public static TheoryData<string, string?, string?, string?> Agreements => new()
    {
        { "tools/call", "tools/call", "echo", Stateless },
        { "tools/call", "tools/call", "=?base64?ZWNobw==?=", Stateless },
        { "resources/read", "resources/read", "demo://resource/1", Stateless },
        { "tools/list", "tools/list", null, Stateless },
        { "tools/list", null, null, null },
        { "tools/call", null, null, null },
    };

    [Theory]
    [MemberData(nameof(Agreements))]
    public async Task HeadersThatAgree_AreForwarded_AndTheGatewaysOwnErrorIsCountersignedAndBoundToTheRequest(string bodyMethod, string? methodHeader, string? nameHeader, string? versionHeader)
    {
        var body = Request(bodyMethod, versionHeader is null ? null : Stateless);

        var (status, answer) = await PostAsync(body, methodHeader, nameHeader, versionHeader);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(-32603, answer["error"]!["code"]!.GetValue<int>());
        Assert.Equal("upstream_unreachable", answer["error"]!["data"]!["reason"]!.GetValue<string>());
        AssertCountersignedFor(answer, body);
    }

    [Theory]
    [InlineData("echo")]
    [InlineData(" padded ")]
    [InlineData("naïve")]
    [InlineData("=?base64?eA==?=")]
    public void HeaderEncoding_RoundTrips_AndNonPlainValuesAreBase64(string value)
    {
        var encoded = RoutingHeaders.Encode(value);

        Assert.Equal(value, RoutingHeaders.Decode(encoded));
        Assert.Equal(value == "echo", encoded == value);
    }

    private void AssertCountersignedFor(JsonObject answer, JsonObject request)
    {
        var replyTo = McpsPreimage.MessageHash(McpsPreimage.CanonicalBody(request, EnvelopePlacement.Meta));
        var verdict = new McpsMessageVerifier().VerifyWithKey(System.Text.Encoding.UTF8.GetBytes(answer.ToJsonString()), _identity!.MessageKey.PublicKey, new McpsVerificationContext { ExpectedReplyTo = replyTo });
        Assert.True(verdict.IsValid, verdict.Reason);
    }

    private static JsonObject Request(string method, string? metaVersion)
    {
        var parameters = method switch
        {
            "tools/call" => new JsonObject { ["name"] = "echo", ["arguments"] = new JsonObject { ["message"] = "x" } },
            "resources/read" => new JsonObject { ["uri"] = "demo://resource/1" },
            _ => new JsonObject(),
        };
        if (metaVersion is not null)
        {
            parameters["_meta"] = new JsonObject { ["io.modelcontextprotocol/protocolVersion"] = metaVersion };
        }

        return new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 7, ["method"] = method, ["params"] = parameters };
    }

    private async Task<(HttpStatusCode Status, JsonObject Answer)> PostAsync(JsonObject body, string? method, string? name, string? version)
    {
        using var http = new HttpClient();
        using var request = Post(body, method, name, version);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private HttpRequestMessage Post(JsonObject body, string? method, string? name, string? version)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        foreach (var (header, value) in new[] { ("Mcp-Method", method), ("Mcp-Name", name), ("MCP-Protocol-Version", version) })
        {
            if (value is not null)
            {
                request.Headers.TryAddWithoutValidation(header, value);
            }
        }

        return request;
    }
}
