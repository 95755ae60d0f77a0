using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AgentTrust.Gateway.Configuration;
using AgentTrust.Gateway.Http;
using AgentTrust.Gateway.Messages;
using AgentTrust.Gateway.Pipeline;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// What the HTTP gateway does with upstream answers it must not relay unchecked: look-alike JSON content types are
/// refused (never copied through), and every SSE data payload goes through the pipeline, whatever its leading
/// whitespace. The upstream is a stub handler answering with the hostile content.
/// </summary>
public sealed class HttpGatewayUpstreamContentTests
{
    private const string ToolsListResult = """{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"evil","inputSchema":{"type":"object"}}]}}""";

    [Theory]
    [InlineData("application/jsonx")]
    [InlineData("application/json-rpc")]
    [InlineData("text/plain")]
    public async Task ToolsListAnswer_WithALookAlikeContentType_IsRefusedAndNeverForwarded(string contentType)
    {
        var (status, body) = await RoundTripAsync(new StubUpstream(ToolsListResult, contentType), []);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.DoesNotContain("evil", body, StringComparison.Ordinal);
        var error = (JsonObject)JsonNode.Parse(body)!;
        Assert.Null(error["result"]);
        Assert.Equal(-32603, error["error"]!["code"]!.GetValue<int>());
        Assert.Equal(1, error["id"]!.GetValue<int>());
        Assert.Contains("upstream_bad_content_type", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"evil","inputSchema":{"type":"object"}}]}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":"1","result":{"tools":[{"name":"evil","inputSchema":{"type":"object"}}]}}""")]
    [InlineData("evil, not JSON")]
    public async Task AJsonBodyThatDoesNotAnswerThePostedRequest_IsNotRelayed_AndTheRequestGetsTheGatewaysError(string upstreamBody)
    {
        var (status, body) = await RoundTripAsync(new StubUpstream(upstreamBody, "application/json"), []);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.DoesNotContain("evil", body, StringComparison.Ordinal);
        var error = (JsonObject)JsonNode.Parse(body)!;
        Assert.Equal(1, error["id"]!.GetValue<int>());
        Assert.Equal(-32603, error["error"]!["code"]!.GetValue<int>());
        Assert.Contains("upstream_answer_mismatch", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SseDataWithTwoLeadingSpaces_GoesThroughThePipelineAndIsNotPassedRaw()
    {
        var stage = new RefuseServerMessages();
        var sse = "event: message\ndata:  " + ToolsListResult + "\n\n";

        var (_, body) = await RoundTripAsync(new StubUpstream(sse, "text/event-stream"), [stage]);

        Assert.Equal(1, stage.Seen);
        Assert.DoesNotContain("evil", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SseDataThatIsNotJson_IsDroppedNotForwarded()
    {
        var (_, body) = await RoundTripAsync(new StubUpstream("data: hostile-payload\n\n", "text/event-stream"), []);

        Assert.DoesNotContain("hostile-payload", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SseLineLongerThanTheMessageBound_EndsTheStreamWithoutForwardingIt()
    {
        var sse = ": " + new string('x', 4096) + "\n\ndata: " + ToolsListResult + "\n\n";

        var (_, body) = await RoundTripAsync(new StubUpstream(sse, "text/event-stream"), [], maxMessageBytes: 1024);

        Assert.DoesNotContain("xxxx", body, StringComparison.Ordinal);
        Assert.DoesNotContain("evil", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GatewayListeningOnPortZero_AcceptsTheHostOfItsBoundPort()
    {
        var options = new GatewayOptions { Upstream = new Uri("http://127.0.0.1:9/mcp"), Listen = "127.0.0.1:0" };
        await using var gateway = new HttpGateway([], options, NullLoggerFactory.Instance, new StubUpstream(ToolsListResult, "application/json"));
        var address = await gateway.StartAsync();
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, "/mcp"))
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", System.Text.Encoding.UTF8, "application/json"),
        };

        using var response = await http.SendAsync(request);

        Assert.NotEqual(0, address.Port);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("evil", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static async Task<(HttpStatusCode Status, string Body)> RoundTripAsync(StubUpstream upstream, IRelayStage[] stages, int? maxMessageBytes = null)
    {
        var options = new GatewayOptions
        {
            Upstream = new Uri("http://127.0.0.1:9/mcp"),
            Listen = $"127.0.0.1:{FreePort()}",
        };
        if (maxMessageBytes is { } max)
        {
            options = options with { MaxMessageBytes = max };
        }

        await using var gateway = new HttpGateway(stages, options, NullLoggerFactory.Instance, upstream);
        var address = await gateway.StartAsync();
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, "/mcp"))
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class StubUpstream(string body, string contentType) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(body));
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content });
        }
    }

    private sealed class RefuseServerMessages : IRelayStage
    {
        private int _seen;

        public int Seen => _seen;

        public ValueTask<StageResult> OnClientMessageAsync(RelayExchange exchange, CancellationToken cancellationToken) => ValueTask.FromResult(StageResult.Continue);

        public ValueTask<StageResult> OnServerMessageAsync(RelayExchange exchange, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _seen);
            return ValueTask.FromResult(StageResult.Reject(GatewayRejection.Mcps(Errors.McpsCode.InsufficientTrust, "insufficient_trust")));
        }
    }
}
