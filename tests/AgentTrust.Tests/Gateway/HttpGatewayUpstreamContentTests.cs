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
    public async Task AnAnswerToAnotherPendingRequest_DoesNotTakeItsPlace()
    {
        // In one session, request 1 is pending when the upstream answers the POST of request 2 with request 1's answer:
        // that body is refused without entering the pipeline, so request 1's own answer still reaches its client.
        var upstream = new MisdirectingUpstream();
        var options = new GatewayOptions { Upstream = new Uri("http://127.0.0.1:9/mcp"), Listen = $"127.0.0.1:{FreePort()}" };
        await using var gateway = new HttpGateway([], options, NullLoggerFactory.Instance, upstream);
        var address = new Uri(await gateway.StartAsync(), "/mcp");
        using var http = new HttpClient();
        using var initialize = await http.SendAsync(Post(address, """{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""", null));
        var session = initialize.Headers.GetValues("Mcp-Session-Id").Single();

        var first = http.SendAsync(Post(address, """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{}}}""", session));
        await upstream.FirstArrived.Task.WaitAsync(TimeSpan.FromSeconds(20));
        using var second = await http.SendAsync(Post(address, """{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"fast","arguments":{}}}""", session));
        var secondAnswer = (JsonObject)JsonNode.Parse(await second.Content.ReadAsStringAsync())!;
        upstream.ReleaseFirst.SetResult();
        using var firstResponse = await first.WaitAsync(TimeSpan.FromSeconds(20));
        var firstAnswer = (JsonObject)JsonNode.Parse(await firstResponse.Content.ReadAsStringAsync())!;

        Assert.Equal(2, secondAnswer["id"]!.GetValue<int>());
        Assert.Contains("upstream_answer_mismatch", secondAnswer.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(1, firstAnswer["id"]!.GetValue<int>());
        Assert.Equal("slow done", firstAnswer["result"]!["content"]![0]!["text"]!.GetValue<string>());
    }

    private static HttpRequestMessage Post(Uri address, string body, string? session)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, address) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        if (session is not null)
        {
            request.Headers.Add("Mcp-Session-Id", session);
        }

        return request;
    }

    // Opens a session on initialize; holds request 1 until released, then answers it; answers request 2 with request 1's answer.
    private sealed class MisdirectingUpstream : HttpMessageHandler
    {
        public TaskCompletionSource FirstArrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource ReleaseFirst { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken))!;
            var id = body["id"]!.GetValue<int>();
            string answer;
            if (id == 1)
            {
                FirstArrived.SetResult();
                await ReleaseFirst.Task.WaitAsync(cancellationToken);
                answer = """{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"slow done"}]}}""";
            }
            else
            {
                answer = id == 0
                    ? """{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-11-25","capabilities":{},"serverInfo":{"name":"s","version":"1"}}}"""
                    : """{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"misdirected"}]}}""";
            }

            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(answer, System.Text.Encoding.UTF8, "application/json") };
            if (id == 0)
            {
                response.Headers.Add("Mcp-Session-Id", "session-1");
            }

            return response;
        }
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
