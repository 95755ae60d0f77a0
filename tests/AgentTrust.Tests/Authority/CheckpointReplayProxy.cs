using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentTrust.Tests.Authority;

/// <summary>
/// A man in the middle on plain http (Kestrel on 127.0.0.1:0) in front of a Trust Authority: it relays every request,
/// remembers the last successful answer to <c>GET /v1/checkpoints/{logId}</c> (and the query it answered), and can
/// replace that answer with anything (<see cref="Rewrite"/>): an old answer it captured, a bare anchor, a forgery.
/// </summary>
internal sealed class CheckpointReplayProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _upstream;

    private CheckpointReplayProxy(WebApplication app, Uri upstream)
    {
        _app = app;
        _upstream = new HttpClient { BaseAddress = upstream };
    }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The last genuine answer to a checkpoint GET the authority gave (before any rewrite).</summary>
    public byte[]? LastAnswer { get; private set; }

    /// <summary>The query string (<c>?nonce=…</c>, or empty) of the request <see cref="LastAnswer"/> answered.</summary>
    public string? LastQuery { get; private set; }

    /// <summary>When set, the checkpoint GET's answer becomes <c>Rewrite(query of this request, genuine answer)</c>.</summary>
    public Func<string, byte[], byte[]>? Rewrite { get; set; }

    /// <summary>When set, every checkpoint GET is answered with a forged (unsigned) 404 <c>unknown_log</c> problem.</summary>
    public bool ForgeNotFound { get; set; }

    public static async Task<CheckpointReplayProxy> StartAsync(Uri upstream)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var proxy = new CheckpointReplayProxy(app, upstream);
        app.Run(proxy.HandleAsync);
        await app.StartAsync();
        proxy.BaseAddress = new Uri(app.Urls.First() + "/");
        return proxy;
    }

    public HttpClient Client() => new() { BaseAddress = BaseAddress };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var query = request.QueryString.Value ?? string.Empty;
        if (ForgeNotFound && HttpMethods.IsGet(request.Method) && request.Path.StartsWithSegments("/v1/checkpoints"))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            context.Response.ContentType = "application/problem+json";
            await context.Response.WriteAsync(
                """{"type":"https://agenttrust.dev/problems/unknown-log","title":"x","status":404,"reason":"unknown_log","mcps_code":"MCPS-023"}""",
                context.RequestAborted);
            return;
        }
        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), request.Path.Value!.TrimStart('/') + query);
        if (HttpMethods.IsPost(request.Method))
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, context.RequestAborted);
            forward.Content = new ByteArrayContent(body.ToArray());
            forward.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
        }

        if (request.Headers.Authorization.Count > 0)
        {
            forward.Headers.TryAddWithoutValidation("Authorization", request.Headers.Authorization.ToString());
        }

        using var response = await _upstream.SendAsync(forward, context.RequestAborted);
        var answer = await response.Content.ReadAsByteArrayAsync(context.RequestAborted);
        var status = (int)response.StatusCode;
        var contentType = response.Content.Headers.ContentType?.ToString();
        if (HttpMethods.IsGet(request.Method) && request.Path.StartsWithSegments("/v1/checkpoints") && status == StatusCodes.Status200OK)
        {
            LastAnswer = answer;
            LastQuery = query;
            if (Rewrite is { } rewrite)
            {
                answer = rewrite(query, answer);
            }
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        context.Response.ContentLength = answer.Length;
        await context.Response.Body.WriteAsync(answer, context.RequestAborted);
    }
}
