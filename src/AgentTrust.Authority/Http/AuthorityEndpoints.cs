using System.Diagnostics;
using System.Reflection;
using AgentTrust.Authority.Logging;
using AgentTrust.Authority.Metrics;
using AgentTrust.Authority.Services;
using AgentTrust.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace AgentTrust.Authority.Http;

/// <summary>Maps the HTTP API (documented in <c>/openapi.json</c>) onto <see cref="AuthorityService"/>.</summary>
internal static class AuthorityEndpoints
{
    public const string ReadPolicy = "read";
    public const string WritePolicy = "write";

    public static void Map(WebApplication app, AuthorityService service, AuthorityMetrics metrics, ILogger logger)
    {
        app.Use(async (context, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (Exception e) when (!context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
            {
                if (e is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge })
                {
                    await Problems.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, McpsCode.InputLimitExceeded, "too_large").ConfigureAwait(false);
                }
                else
                {
                    AuthorityLog.Unhandled(logger, e, context.Request.Path.Value ?? string.Empty);
                    await Problems.WriteAsync(context, StatusCodes.Status500InternalServerError, McpsCode.InternalError, "internal_error").ConfigureAwait(false);
                }
            }
            finally
            {
                var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
                metrics.RecordRequest(route, context.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
        });
        app.UseRouting();
        app.UseRateLimiter();

        var admin = new AdminAuthentication(service.Repository, metrics, logger);

        app.MapPost("/v1/challenges", (HttpRequest request, CancellationToken ct) => service.CreateChallengeAsync(request, ct)).RequireRateLimiting(WritePolicy);
        app.MapPost("/v1/agents", (HttpRequest request, CancellationToken ct) => service.RegisterAsync(request, ct)).RequireRateLimiting(WritePolicy);
        app.MapGet("/v1/passports/{id}", (string id, CancellationToken ct) => service.GetPassportAsync(id, ct)).RequireRateLimiting(ReadPolicy);
        app.MapGet("/v1/passports/{id}/status", (string id, CancellationToken ct) => service.GetStatusAsync(id, ct)).RequireRateLimiting(ReadPolicy);
        app.MapGet("/v1/passports/{id}/staple", (string id, CancellationToken ct) => service.GetStapleAsync(id, ct)).RequireRateLimiting(ReadPolicy);
        app.MapPost("/v1/passports/{id}/revoke", (string id, HttpContext context, CancellationToken ct) => service.RevokeAsync(id, context, ct))
            .AddEndpointFilter(admin).RequireRateLimiting(WritePolicy);
        app.MapPost("/v1/passports/{id}/trust-level", (string id, HttpContext context, CancellationToken ct) => service.SetTrustLevelAsync(id, context, ct))
            .AddEndpointFilter(admin).RequireRateLimiting(WritePolicy);
        app.MapGet("/v1/passports/{id}/trust-level-history", (string id, CancellationToken ct) => service.GetTrustLevelHistoryAsync(id, ct))
            .AddEndpointFilter(admin).RequireRateLimiting(WritePolicy);
        app.MapGet("/v1/revocations", (CancellationToken ct) => service.GetRevocationsAsync(ct)).RequireRateLimiting(ReadPolicy);
        app.MapPost("/v1/checkpoints", (HttpRequest request, CancellationToken ct) => service.AnchorCheckpointAsync(request, ct)).RequireRateLimiting(WritePolicy);
        app.MapGet("/v1/checkpoints/{logId}", (string logId, HttpRequest request, CancellationToken ct) => service.GetCheckpointAsync(logId, request.Query, ct)).RequireRateLimiting(ReadPolicy);
        app.MapGet("/.well-known/jwks.json", () => service.GetJwks()).RequireRateLimiting(ReadPolicy);
        app.MapGet("/healthz", (CancellationToken ct) => service.HealthAsync(ct));
        app.MapGet("/metrics", () => Results.Text(metrics.WritePrometheusText(), "text/plain; version=0.0.4; charset=utf-8"));
        var openApi = LoadOpenApi();
        app.MapGet("/openapi.json", () => new JsonBytesResult(StatusCodes.Status200OK, openApi));
        app.MapFallback((HttpContext context) => Problems.WriteAsync(context, StatusCodes.Status404NotFound, null, "not_found"));
    }

    private static byte[] LoadOpenApi()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("AgentTrust.Authority.openapi.json")
            ?? throw new InvalidOperationException("The OpenAPI document is not embedded.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
