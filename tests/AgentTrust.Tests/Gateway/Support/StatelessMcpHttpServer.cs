using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace AgentTrust.Tests.Gateway.Support;

/// <summary>
/// A real 2026-07-28 (stateless) MCP server: the official C# SDK's <c>McpServer</c> over
/// <c>StreamableHttpServerTransport { Stateless = true }</c>, one per POST, hosted by Kestrel on 127.0.0.1:0 (the
/// ModelContextProtocol.AspNetCore package that would do this is not available). It records the method and routing
/// headers of every POST it receives.
/// </summary>
internal sealed class StatelessMcpHttpServer : IAsyncDisposable
{
    public const string NoteUri = "demo://note";

    /// <summary>A tool with an <c>x-mcp-header</c> mark: its <c>region</c> argument is mirrored into <c>Mcp-Param-Region</c>.</summary>
    public const string RegionalQueryTool = "regional-query";

    private readonly WebApplication _app;
    private readonly McpServerOptions _options;

    private StatelessMcpHttpServer(WebApplication app)
    {
        _app = app;
        _options = new McpServerOptions
        {
            ServerInfo = new Implementation { Name = "stateless-test-server", Version = "1.0.0" },
            ToolCollection = [McpServerTool.Create((string message) => "Echo: " + message, new McpServerToolCreateOptions { Name = "echo", Description = "Echoes the message" }), RegionalQuery()],
            ResourceCollection = [McpServerResource.Create(() => "a note", new McpServerResourceCreateOptions { UriTemplate = NoteUri, Name = "note" })],
        };
    }

    /// <summary>Every POST: the body's method (null for answers), its name (<c>params.name</c> or <c>params.uri</c>) and the routing headers.</summary>
    public ConcurrentQueue<Post> Received { get; } = new();

    public Uri Endpoint { get; private set; } = null!;

    public static async Task<StatelessMcpHttpServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new StatelessMcpHttpServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        server.Endpoint = new Uri(new Uri(app.Urls.First()), "/mcp");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            // 2026-07-28: no GET stream, no DELETE.
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        var message = await JsonSerializer.DeserializeAsync<JsonRpcMessage>(context.Request.Body, McpJsonUtilities.DefaultOptions, context.RequestAborted);
        if (message is null)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        var (method, parameters) = message switch
        {
            JsonRpcRequest r => (r.Method, r.Params),
            JsonRpcNotification n => (n.Method, n.Params),
            _ => ((string?)null, (JsonNode?)null),
        };
        var name = (parameters?["name"] ?? parameters?["uri"]) is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        var headers = context.Request.Headers;
        var parameterHeaders = headers.Where(h => h.Key.StartsWith("Mcp-Param-", StringComparison.OrdinalIgnoreCase)).ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        Received.Enqueue(new Post(method, name, headers["Mcp-Method"].ToString(), headers["Mcp-Name"].ToString(), headers["MCP-Protocol-Version"].ToString(), parameterHeaders));
        if (headers["MCP-Protocol-Version"].ToString() is { Length: > 0 } version)
        {
            message.Context ??= new JsonRpcMessageContext();
            message.Context.ProtocolVersion = version;
        }

        var transport = new StreamableHttpServerTransport { Stateless = true };
        await using var server = McpServer.Create(transport, _options);
        var run = server.RunAsync(context.RequestAborted);
        try
        {
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache,no-store";
            if (!await transport.HandlePostRequestAsync(message, context.Response.Body, context.RequestAborted))
            {
                context.Response.ContentType = null;
                context.Response.StatusCode = StatusCodes.Status202Accepted;
            }
        }
        finally
        {
            await transport.DisposeAsync();
            try
            {
                await run;
            }
            catch (OperationCanceledException)
            {
                // The POST ended.
            }
        }
    }

    /// <summary>One POST as the server saw it (with its <c>Mcp-Param-*</c> headers).</summary>
    public sealed record Post(string? Method, string? Name, string MethodHeader, string NameHeader, string VersionHeader, IReadOnlyDictionary<string, string> ParameterHeaders);

    // A tool whose region argument clients mirror into Mcp-Param-Region (x-mcp-header), for intermediaries to route on.
    private static McpServerTool RegionalQuery()
    {
        var tool = McpServerTool.Create((string region, string query) => $"{region}: {query}", new McpServerToolCreateOptions { Name = RegionalQueryTool, Description = "Runs a query in a region" });
        tool.ProtocolTool.InputSchema = JsonSerializer.Deserialize<JsonElement>(
            """{"type":"object","properties":{"region":{"type":"string","x-mcp-header":"Region"},"query":{"type":"string"}},"required":["region","query"]}""");
        return tool;
    }
}
