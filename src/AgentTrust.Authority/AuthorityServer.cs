using System.Threading.RateLimiting;
using AgentTrust.Authority.Http;
using AgentTrust.Authority.Logging;
using AgentTrust.Authority.Metrics;
using AgentTrust.Authority.Services;
using AgentTrust.Authority.Storage;
using AgentTrust.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentTrust.Authority;

/// <summary>
/// A running Trust Authority: Kestrel with the <c>/v1</c> API over one <see cref="IAuthorityRepository"/>.
/// <see cref="StartAsync"/> applies migrations, binds, and returns once the server listens.
/// </summary>
public sealed class AuthorityServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly AuthorityMetrics _metrics;

    private AuthorityServer(WebApplication app, AuthorityMetrics metrics, IReadOnlyList<Uri> addresses)
    {
        _app = app;
        _metrics = metrics;
        Addresses = addresses;
    }

    /// <summary>The addresses the server listens on (with the real port when port 0 was asked for).</summary>
    public IReadOnlyList<Uri> Addresses { get; }

    /// <summary>The first listening address.</summary>
    public Uri BaseAddress => Addresses[0];

    /// <summary>The server's counters (also served at <c>/metrics</c>).</summary>
    public AuthorityMetrics Metrics => _metrics;

    /// <summary>Migrates the repository, starts Kestrel and returns once it listens.</summary>
    public static async Task<AuthorityServer> StartAsync(
        AuthorityServerOptions options,
        IAuthorityRepository repository,
        AuthorityKeyRing keys,
        TimeProvider? time = null,
        Action<ILoggingBuilder>? configureLogging = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(keys);
        time ??= TimeProvider.System;
        await repository.MigrateAsync(cancellationToken).ConfigureAwait(false);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        configureLogging?.Invoke(builder.Logging);
        var urls = options.Urls.Count > 0 ? options.Urls.ToArray() : ["http://127.0.0.1:8080"];
        builder.WebHost.UseUrls(urls);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = Math.Max(options.MaxRegistrationBodyBytes, options.MaxBodyBytes) * 2L;
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
        });
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(AuthorityEndpoints.ReadPolicy, context => PerClient(context, options.ReadRequestsPerSecond, options.BurstFactor));
            limiter.AddPolicy(AuthorityEndpoints.WritePolicy, context => PerClient(context, options.WriteRequestsPerSecond, options.BurstFactor));
            limiter.OnRejected = async (rejected, token) =>
            {
                var http = rejected.HttpContext;
                http.RequestServices.GetService<AuthorityMetrics>()?.RecordEvent("rate_limited");
                http.Response.Headers.RetryAfter = "1";
                await Problems.WriteAsync(http, StatusCodes.Status429TooManyRequests, McpsCode.RateLimited, "rate_limited").ConfigureAwait(false);
            };
        });
        var metrics = new AuthorityMetrics(time);
        builder.Services.AddSingleton(metrics);

        var app = builder.Build();
        try
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("AgentTrust.Authority");
            var service = new AuthorityService(repository, keys, options, time, metrics, logger);
            AuthorityEndpoints.Map(app, service, metrics, logger);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
                .Select(a => new Uri(a)).ToArray() ?? [];
            AuthorityLog.Listening(logger, options.Name, string.Join(", ", addresses.Select(a => a.ToString())), repository.Engine);
            return new AuthorityServer(app, metrics, addresses);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            metrics.Dispose();
            throw;
        }
    }

    /// <summary>The route patterns the server maps (for the OpenAPI consistency test).</summary>
    internal IReadOnlyList<string> RoutePatterns =>
        _app.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>().Endpoints
            .OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .Select(e => e.RoutePattern.RawText ?? string.Empty)
            .Where(p => !p.Contains("*", StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .ToArray();

    /// <summary>Completes when the server stops (Ctrl+C through the token, or <see cref="DisposeAsync"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _metrics.Dispose();
    }

    private static RateLimitPartition<string> PerClient(HttpContext context, int perSecond, int burstFactor)
    {
        var client = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        return RateLimitPartition.GetTokenBucketLimiter(client, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, perSecond * Math.Max(1, burstFactor)),
            TokensPerPeriod = Math.Max(1, perSecond),
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }
}
