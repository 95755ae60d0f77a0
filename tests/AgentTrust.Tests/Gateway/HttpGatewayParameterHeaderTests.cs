using System.Net;
using System.Text.Json.Nodes;
using AgentTrust.Gateway;
using AgentTrust.Gateway.Configuration;
using AgentTrust.Gateway.Http;
using AgentTrust.Gateway.Identity;
using AgentTrust.KeyStore;
using AgentTrust.Tests.Gateway.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// <c>Mcp-Param-*</c> headers (2026-07-28, <c>x-mcp-header</c>) in front of a real stateless C# SDK server whose
/// <c>regional-query</c> tool marks its <c>region</c> argument: once the gateway has accepted the tool in a listing, a
/// header that disagrees with the verified body never reaches the server, and the server gets the header derived from
/// the body whatever the client sent.
/// </summary>
public sealed class HttpGatewayParameterHeaderTests : IAsyncLifetime
{
    private const string Stateless = "2026-07-28";
    private readonly ScratchDirectory _scratch = new();
    private StatelessMcpHttpServer? _server;
    private GatewayIdentity? _identity;
    private HttpGateway? _gateway;
    private Uri? _endpoint;

    public async Task InitializeAsync()
    {
        _server = await StatelessMcpHttpServer.StartAsync();
        _identity = await GatewayIdentity.LoadOrCreateAsync(new FileKeyStore(_scratch.File("keys")), "gw", _scratch.File("gw.passport.json"), () => null, TimeProvider.System);
        var options = new GatewayOptions { Upstream = _server.Endpoint, Listen = $"127.0.0.1:{HttpPeers.FreePort()}" };
        _gateway = new HttpGateway(GatewayPipelineFactory.CreateServerSide(options, _server.Endpoint.AbsoluteUri, _identity, null, null), options, NullLoggerFactory.Instance);
        _endpoint = new Uri(await _gateway.StartAsync(), "/mcp");
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _identity?.Dispose();
        _scratch.Dispose();
    }

    public static TheoryData<string, string> Lies => new()
    {
        { "Mcp-Param-Region", "eu-west1" },
        { "mcp-param-region", "=?base64?ZXUtd2VzdDE=?=" },
        { "Mcp-Param-Region", "=?base64?not base64!?=" },
        { "Mcp-Param-Tenant", "acme" },
        { "Mcp-Param-Query", "SELECT 1" },
    };

    [Theory]
    [MemberData(nameof(Lies))]
    public async Task AParameterHeaderThatDoesNotSayWhatTheBodySays_IsRefused_AndNeverReachesTheServer(string header, string value)
    {
        await ListToolsAsync();

        var (status, answer) = await CallAsync("us-west1", (header, value));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("header_mismatch", answer["error"]!["data"]!["reason"]!.GetValue<string>());
        Assert.DoesNotContain(_server!.Received, p => p.Method == "tools/call");
    }

    [Fact]
    public async Task OnTheStatelessGeneration_AMissingParameterHeader_IsRefused_AndNeverReachesTheServer()
    {
        // An intermediary in front would have routed on its absence while the server acted on the body's value.
        await ListToolsAsync();

        var (status, answer) = await CallAsync("us-west1");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("header_mismatch", answer["error"]!["data"]!["reason"]!.GetValue<string>());
        Assert.DoesNotContain(_server!.Received, p => p.Method == "tools/call");
    }

    [Theory]
    [InlineData("us-west1", "us-west1", "us-west1")]
    [InlineData("us-west1", "=?base64?dXMtd2VzdDE=?=", "us-west1")]
    [InlineData("Zürich", "=?base64?WsO8cmljaA==?=", "=?base64?WsO8cmljaA==?=")]
    [InlineData(" padded ", "=?base64?IHBhZGRlZCA=?=", "=?base64?IHBhZGRlZCA=?=")]
    public async Task TheServerGetsTheHeaderDerivedFromTheBody(string region, string clientHeader, string expected)
    {
        await ListToolsAsync();

        var (status, answer) = await CallAsync(region, ("Mcp-Param-Region", clientHeader));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal($"{region}: SELECT 1", answer["result"]!["content"]![0]!["text"]!.GetValue<string>());
        var call = Assert.Single(_server!.Received, p => p.Method == "tools/call");
        Assert.Equal(expected, call.ParameterHeaders["Mcp-Param-Region"]);
    }

    [Fact]
    public async Task ParameterHeadersOnAnythingButToolsCall_AreNotSentUpstream()
    {
        // No schema says what they mirror there, so no one can check them; an intermediary must not route on them.
        var (status, _) = await PostAsync(Request("resources/read", new JsonObject { ["uri"] = StatelessMcpHttpServer.NoteUri }), "resources/read", StatelessMcpHttpServer.NoteUri, ("Mcp-Param-Tenant", "victim"));
        await PostAsync(Request("tools/list", new JsonObject()), "tools/list", null, ("Mcp-Param-Tenant", "victim"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, _server!.Received.Count(p => p.Method is "resources/read" or "tools/list"));
        Assert.All(_server.Received, p => Assert.Empty(p.ParameterHeaders));
    }

    [Fact]
    public async Task WithoutADefinitionOfTheTool_TheClientsParameterHeadersAreNotSentUpstream()
    {
        // With --no-pins the gateway keeps no definitions, so it cannot tell which argument a header mirrors: an
        // intermediary behind it must not route on a value nobody checked.
        var options = new GatewayOptions { Upstream = _server!.Endpoint, Listen = "127.0.0.1:0", DisablePins = true };
        await using var unpinned = new HttpGateway(GatewayPipelineFactory.CreateServerSide(options, _server.Endpoint.AbsoluteUri, _identity!, null, null), options, NullLoggerFactory.Instance);
        _endpoint = new Uri(await unpinned.StartAsync(), "/mcp");

        var (status, _) = await CallAsync("us-west1", ("Mcp-Param-Region", "eu-west1"));

        Assert.Equal(HttpStatusCode.OK, status);
        var call = Assert.Single(_server.Received, p => p.Method == "tools/call");
        Assert.Empty(call.ParameterHeaders);
    }

    [Fact]
    public async Task AfterARestart_TheMarksComeFromTheDefinitionKeptBesideThePinFile()
    {
        // A 2026-07-28 client need not list again after the gateway restarts; with a pin file the definition it pinned
        // says which headers to check.
        var pins = _scratch.File("pins.json");
        var options = new GatewayOptions { Upstream = _server!.Endpoint, Listen = "127.0.0.1:0", Pins = pins };
        await using (var first = new HttpGateway(GatewayPipelineFactory.CreateServerSide(options, _server.Endpoint.AbsoluteUri, _identity!, null, null), options, NullLoggerFactory.Instance))
        {
            _endpoint = new Uri(await first.StartAsync(), "/mcp");
            await ListToolsAsync();
        }

        await using var second = new HttpGateway(GatewayPipelineFactory.CreateServerSide(options, _server.Endpoint.AbsoluteUri, _identity!, null, null), options, NullLoggerFactory.Instance);
        _endpoint = new Uri(await second.StartAsync(), "/mcp");

        var (lie, _) = await CallAsync("us-west1", ("Mcp-Param-Region", "eu-west1"));
        var (missing, _) = await CallAsync("us-west1");
        var (truth, _) = await CallAsync("us-west1", ("Mcp-Param-Region", "us-west1"));

        Assert.Equal(HttpStatusCode.BadRequest, lie);
        Assert.Equal(HttpStatusCode.BadRequest, missing);
        Assert.Equal(HttpStatusCode.OK, truth);
        Assert.Equal("us-west1", Assert.Single(_server.Received, p => p.Method == "tools/call").ParameterHeaders["Mcp-Param-Region"]);
    }

    [Fact]
    public async Task ACallForAToolNotYetPinned_LeavesNoAnswerBehind_SoAPinByAnotherProcessIsSeen()
    {
        // Tool names come from the client: only pinned tools are looked up and remembered (a cache of every name asked
        // for would grow without bound, and each miss would read the archive file again).
        var pins = _scratch.File("shared-pins.json");
        var options = new GatewayOptions { Upstream = _server!.Endpoint, Listen = "127.0.0.1:0", Pins = pins };
        await using var first = new HttpGateway(GatewayPipelineFactory.CreateServerSide(options, _server.Endpoint.AbsoluteUri, _identity!, null, null), options, NullLoggerFactory.Instance);
        await using var second = new HttpGateway(GatewayPipelineFactory.CreateServerSide(options, _server.Endpoint.AbsoluteUri, _identity!, null, null), options, NullLoggerFactory.Instance);
        var firstEndpoint = new Uri(await first.StartAsync(), "/mcp");
        var secondEndpoint = new Uri(await second.StartAsync(), "/mcp");

        _endpoint = firstEndpoint;
        var (_, beforePinning) = await CallAsync("us-west1", ("Mcp-Param-Region", "eu-west1"));
        _endpoint = secondEndpoint;
        await ListToolsAsync();
        _endpoint = firstEndpoint;
        var (afterPinning, answer) = await CallAsync("us-west1", ("Mcp-Param-Region", "eu-west1"));

        Assert.Equal("unpinned_tool", beforePinning["error"]!["data"]!["reason"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, afterPinning);
        Assert.Equal("header_mismatch", answer["error"]!["data"]!["reason"]!.GetValue<string>());
        Assert.DoesNotContain(_server.Received, p => p.Method == "tools/call");
    }

    private async Task ListToolsAsync()
    {
        var (status, answer) = await PostAsync(Request("tools/list", new JsonObject()), "tools/list", null);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(answer["result"]?["tools"] is JsonArray tools && tools.Any(t => t?["name"]?.GetValue<string>() == StatelessMcpHttpServer.RegionalQueryTool), answer.ToJsonString());
    }

    private Task<(HttpStatusCode Status, JsonObject Answer)> CallAsync(string region, params (string Name, string Value)[] headers) =>
        PostAsync(
            Request("tools/call", new JsonObject
            {
                ["name"] = StatelessMcpHttpServer.RegionalQueryTool,
                ["arguments"] = new JsonObject { ["region"] = region, ["query"] = "SELECT 1" },
            }),
            "tools/call",
            StatelessMcpHttpServer.RegionalQueryTool,
            headers);

    private static JsonObject Request(string method, JsonObject parameters)
    {
        parameters["_meta"] = new JsonObject { ["io.modelcontextprotocol/protocolVersion"] = Stateless, ["io.modelcontextprotocol/clientCapabilities"] = new JsonObject() };
        return new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 7, ["method"] = method, ["params"] = parameters };
    }

    private async Task<(HttpStatusCode Status, JsonObject Answer)> PostAsync(JsonObject body, string method, string? name, params (string Name, string Value)[] extra)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        request.Headers.TryAddWithoutValidation("Mcp-Method", method);
        request.Headers.TryAddWithoutValidation("MCP-Protocol-Version", Stateless);
        if (name is not null)
        {
            request.Headers.TryAddWithoutValidation("Mcp-Name", name);
        }

        foreach (var (header, value) in extra)
        {
            request.Headers.TryAddWithoutValidation(header, value);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, ReadAnswer(text));
    }

    // A JSON answer, or the last data line of an SSE stream.
    private static JsonObject ReadAnswer(string text)
    {
        var json = text.TrimStart().StartsWith('{')
            ? text
            : text.Split('\n').Last(l => l.StartsWith("data:", StringComparison.Ordinal))["data:".Length..];
        return (JsonObject)JsonNode.Parse(json)!;
    }
}
