using System.Text.Json.Nodes;
using AgentTrust.Gateway.Http;
using AgentTrust.Tests.Gateway.Support;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// A 2026-07-28 (stateless) server behind both HTTP gateways: the official C# client at its default protocol →
/// <c>agenttrust agent-proxy --upstream --listen</c> → <c>agenttrust proxy --upstream --listen</c> → the C# SDK's
/// stateless Streamable HTTP server. No <c>initialize</c>, no session: <c>server/discover</c>, tools and resources
/// work signed and countersigned, and every POST reaching the server carries routing headers that name what its body
/// says.
/// </summary>
public sealed class HttpGatewayStatelessTests : IAsyncLifetime
{
    private readonly HttpPeers _peers = new();
    private readonly ScratchDirectory _scratch = new();
    private StatelessMcpHttpServer? _server;
    private Uri? _endpoint;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_scratch.File("trust"));
        var environment = new Dictionary<string, string> { ["AGENTTRUST_HOME"] = _scratch.File("home") };
        _server = await StatelessMcpHttpServer.StartAsync();
        var proxy = await _peers.StartGatewayAsync("proxy", _server.Endpoint,
            ["--trust-store", _scratch.File("trust"), "--key", "gateway", "--audit-dir", _scratch.File("gateway-audit"), "--replay-store", "memory"], environment);
        _endpoint = await _peers.StartGatewayAsync("agent-proxy", proxy, ["--key", "agent", "--audit-dir", _scratch.File("agent-audit"), "--replay-store", "memory"], environment);
    }

    public async Task DisposeAsync()
    {
        await _peers.DisposeAsync();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _scratch.Dispose();
    }

    [Fact]
    public async Task CSharpClientAtItsDefaultProtocol_DiscoversListsCallsAndReads_ThroughBothGateways()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var transport = new HttpClientTransport(new HttpClientTransportOptions { Endpoint = _endpoint!, TransportMode = HttpTransportMode.StreamableHttp });
        await using var client = await McpClient.CreateAsync(transport, cancellationToken: timeout.Token);

        var tools = await client.ListToolsAsync(cancellationToken: timeout.Token);
        var echo = await client.CallToolAsync("echo", new Dictionary<string, object?> { ["message"] = "stateless" }, cancellationToken: timeout.Token);
        var note = await client.ReadResourceAsync(StatelessMcpHttpServer.NoteUri, cancellationToken: timeout.Token);

        Assert.Equal("2026-07-28", client.NegotiatedProtocolVersion);
        Assert.Contains(tools, t => t.Name == "echo");
        Assert.Equal("Echo: stateless", Assert.IsType<TextContentBlock>(echo.Content[0]).Text);
        Assert.IsType<JsonObject>(echo.Meta?["_signet_bilateral"]);
        Assert.Equal("a note", Assert.IsType<TextResourceContents>(note.Contents[0]).Text);

        var received = _server!.Received.ToArray();
        Assert.Contains(received, p => p.Method == "server/discover");
        Assert.DoesNotContain(received, p => p.Method == "initialize");
        Assert.All(received.Where(p => p.Method is not null), p =>
        {
            Assert.Equal(p.Method, RoutingHeaders.Decode(p.MethodHeader));
            Assert.Equal("2026-07-28", p.VersionHeader);
            if (p.Method is "tools/call" or "resources/read")
            {
                Assert.Equal(p.Name, RoutingHeaders.Decode(p.NameHeader));
            }
        });
        Assert.Contains(received, p => p.Method == "resources/read" && p.NameHeader == StatelessMcpHttpServer.NoteUri);
    }

    [Fact]
    public async Task CSharpClient_MirrorsAMarkedArgumentIntoAParameterHeader_ThatBothGatewaysCheckAndTheServerReceives()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var transport = new HttpClientTransport(new HttpClientTransportOptions { Endpoint = _endpoint!, TransportMode = HttpTransportMode.StreamableHttp });
        await using var client = await McpClient.CreateAsync(transport, cancellationToken: timeout.Token);
        var tools = await client.ListToolsAsync(cancellationToken: timeout.Token);
        var regional = tools.Single(t => t.Name == StatelessMcpHttpServer.RegionalQueryTool);

        var result = await regional.CallAsync(new Dictionary<string, object?> { ["region"] = "Zürich", ["query"] = "SELECT 1" }, cancellationToken: timeout.Token);

        Assert.Equal("Zürich: SELECT 1", Assert.IsType<TextContentBlock>(result.Content[0]).Text);
        var call = Assert.Single(_server!.Received, p => p.Method == "tools/call" && p.Name == StatelessMcpHttpServer.RegionalQueryTool);
        Assert.Equal("Zürich", RoutingHeaders.Decode(call.ParameterHeaders["Mcp-Param-Region"]));
    }
}
