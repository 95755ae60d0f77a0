using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AgentTrust.Gateway;
using AgentTrust.Gateway.Configuration;
using AgentTrust.Gateway.Http;
using AgentTrust.Tests.Gateway.Support;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// The Streamable HTTP gateway (Kestrel on loopback) in front of server-everything's own Streamable HTTP endpoint,
/// with the official C# client: sessions, SSE responses and tool pins pass through; DNS-rebinding attempts (foreign
/// Host or Origin) and batches are refused.
/// </summary>
public sealed class HttpGatewayTests : IAsyncLifetime
{
    private Process? _server;
    private HttpGateway? _gateway;
    private Uri? _endpoint;
    private int _gatewayPort;

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
        _gatewayPort = FreePort();
        var options = new GatewayOptions
        {
            Upstream = new Uri($"http://127.0.0.1:{upstreamPort}/mcp"),
            Listen = $"127.0.0.1:{_gatewayPort}",
        };
        var stages = GatewayPipelineFactory.CreateServerSide(options, options.Upstream.AbsoluteUri, null, null, null);
        _gateway = new HttpGateway(stages, options, NullLoggerFactory.Instance);
        var address = await _gateway.StartAsync();
        _endpoint = new Uri(address, "/mcp");
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
    }

    [Fact]
    public async Task CSharpHttpClient_ListsAndCallsToolsThroughTheGateway()
    {
        var transport = new HttpClientTransport(new HttpClientTransportOptions { Endpoint = _endpoint!, TransportMode = HttpTransportMode.StreamableHttp });
        await using var client = await McpClient.CreateAsync(transport, new McpClientOptions { ProtocolVersion = "2025-11-25" });

        var tools = await client.ListToolsAsync();
        var echo = await client.CallToolAsync("echo", new Dictionary<string, object?> { ["message"] = "over http" });

        Assert.Contains(tools, t => t.Name == "echo");
        Assert.Equal("Echo: over http", Assert.IsType<TextContentBlock>(echo.Content[0]).Text);
        Assert.NotNull(client.SessionId);
    }

    [Fact]
    public async Task CallOfAnUnlistedTool_IsRefusedWithMcps008_AsAJsonRpcErrorWithStatus200()
    {
        using var http = new HttpClient();
        using var request = Post("""{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo","arguments":{"message":"x"}}}""");

        using var response = await http.SendAsync(request);
        var body = (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(-33008, body["error"]!["code"]!.GetValue<int>());
        Assert.Equal(9, body["id"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("Host", "evil.example:80")]
    [InlineData("Origin", "http://evil.example")]
    public async Task ForeignHostOrOrigin_IsRefusedWith403(string header, string value)
    {
        using var http = new HttpClient();
        using var request = Post("""{"jsonrpc":"2.0","id":1,"method":"ping"}""");
        if (header == "Host")
        {
            request.Headers.Host = value;
        }
        else
        {
            request.Headers.Add(header, value);
        }

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Batch_IsAnsweredWith400AndAJsonRpcError()
    {
        using var http = new HttpClient();
        using var request = Post("""[{"jsonrpc":"2.0","id":1,"method":"ping"}]""");

        using var response = await http.SendAsync(request);
        var body = (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(-32600, body["error"]!["code"]!.GetValue<int>());
    }

    private HttpRequestMessage Post(string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        return request;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
