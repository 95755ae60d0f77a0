using System.Net;
using System.Net.Sockets;
using AgentTrust.Gateway.Configuration;
using AgentTrust.Gateway.Http;
using AgentTrust.Gateway.Pipeline;
using AgentTrust.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// The HTTP gateway's session table is bounded: a client that opens sessions without end (or never closes them)
/// cannot grow the gateway's memory without bound, and a forgotten session never hands its state to a newcomer.
/// </summary>
public sealed class HttpSessionTableTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 21, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void IdleSession_IsForgottenAfterTheTimeout_AndAUsedOneIsKept()
    {
        var time = new ManualTimeProvider(Start);
        var table = new HttpSessionTable(time, TimeSpan.FromMinutes(30), 100);
        var idle = Pipeline();
        var used = Pipeline();
        table.Add("idle", idle);
        table.Add("used", used);

        time.Advance(TimeSpan.FromMinutes(20));
        Assert.Same(used, table.Find("used"));
        time.Advance(TimeSpan.FromMinutes(20));

        Assert.Null(table.Find("idle"));
        Assert.Same(used, table.Find("used"));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void AtCapacity_ExpiredSessionsGoFirst_ThenTheLeastRecentlyUsed()
    {
        var time = new ManualTimeProvider(Start);
        var table = new HttpSessionTable(time, TimeSpan.FromMinutes(30), 3);
        table.Add("a", Pipeline());
        time.Advance(TimeSpan.FromMinutes(31));
        table.Add("b", Pipeline());
        time.Advance(TimeSpan.FromSeconds(1));
        table.Add("c", Pipeline());
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(1, table.Add("d", Pipeline()));   // "a" expired: room without touching live sessions
        Assert.Null(table.Find("a"));

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.NotNull(table.Find("b"));                // "b" used now: "c" is the least recently used
        Assert.Equal(1, table.Add("e", Pipeline()));
        Assert.Null(table.Find("c"));
        Assert.NotNull(table.Find("b"));
        Assert.Equal(3, table.Count);
    }

    [Fact]
    public async Task ClientOpeningSessionsWithoutEnd_NeverGrowsTheGatewayBeyondItsBound()
    {
        var options = new GatewayOptions { Upstream = new Uri("http://127.0.0.1:9/mcp"), Listen = $"127.0.0.1:{FreePort()}", MaxHttpSessions = 8 };
        await using var gateway = new HttpGateway([], options, NullLoggerFactory.Instance, new NewSessionEveryTime());
        var address = await gateway.StartAsync();
        using var http = new HttpClient();

        for (var i = 0; i < 40; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, "/mcp"))
            {
                Content = new StringContent("{\"jsonrpc\":\"2.0\",\"id\":" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + ""","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"flood","version":"1"}}}""", System.Text.Encoding.UTF8, "application/json"),
            };
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(8, gateway.SessionCount);
    }

    [Fact]
    public async Task UnknownOrForgottenSessionId_Gets404_AndIsNeverForwarded()
    {
        var upstream = new NewSessionEveryTime();
        var options = new GatewayOptions { Upstream = new Uri("http://127.0.0.1:9/mcp"), Listen = $"127.0.0.1:{FreePort()}" };
        await using var gateway = new HttpGateway([], options, NullLoggerFactory.Instance, upstream);
        var address = await gateway.StartAsync();
        using var http = new HttpClient();

        using var forged = new HttpRequestMessage(HttpMethod.Post, new Uri(address, "/mcp"))
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{}}}""", System.Text.Encoding.UTF8, "application/json"),
        };
        forged.Headers.Add("Mcp-Session-Id", "session-of-someone-else");
        using var answer = await http.SendAsync(forged);
        using var stream = new HttpRequestMessage(HttpMethod.Get, new Uri(address, "/mcp"));
        stream.Headers.Add("Mcp-Session-Id", "session-of-someone-else");
        using var streamAnswer = await http.SendAsync(stream);

        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
        Assert.Equal(-32001, System.Text.Json.Nodes.JsonNode.Parse(await answer.Content.ReadAsStringAsync())!["error"]!["code"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.NotFound, streamAnswer.StatusCode);
        Assert.Equal(0, upstream.Calls);
        Assert.Equal(0, gateway.SessionCount);
    }

    [Fact]
    public void AddingASessionAlreadyHeld_NeverForgetsAnother()
    {
        var time = new ManualTimeProvider(Start);
        var table = new HttpSessionTable(time, TimeSpan.FromMinutes(30), 2);
        table.Add("a", Pipeline());
        table.Add("b", Pipeline());

        Assert.Equal(0, table.Add("a", Pipeline()));
        Assert.NotNull(table.Find("b"));
        Assert.Equal(2, table.Count);
    }

    private static RelayPipeline Pipeline() => new([]);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // An upstream that creates a new session for every initialize, as a real server does.
    private sealed class NewSessionEveryTime : HttpMessageHandler
    {
        private int _calls;

        public int Calls => _calls;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            var body = await request.Content!.ReadAsStringAsync(cancellationToken);
            var id = System.Text.Json.Nodes.JsonNode.Parse(body)!["id"]!.ToJsonString();
            var content = new StringContent("{\"jsonrpc\":\"2.0\",\"id\":" + id + ""","result":{"protocolVersion":"2025-11-25","capabilities":{},"serverInfo":{"name":"s","version":"1"}}}""", System.Text.Encoding.UTF8, "application/json");
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
            response.Headers.Add("Mcp-Session-Id", Guid.NewGuid().ToString("N"));
            return response;
        }
    }
}
