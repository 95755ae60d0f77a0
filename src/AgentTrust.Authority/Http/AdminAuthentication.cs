using AgentTrust.Authority.Logging;
using AgentTrust.Authority.Metrics;
using AgentTrust.Authority.Services;
using AgentTrust.Authority.Storage;
using AgentTrust.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentTrust.Authority.Http;

/// <summary>
/// Endpoint filter of the admin endpoints: requires <c>Authorization: Bearer TOKEN</c> matching a stored admin token
/// (constant-time comparison of SHA-256 hashes). On success the token's label is the actor recorded with the change.
/// </summary>
internal sealed class AdminAuthentication(IAuthorityRepository repository, AuthorityMetrics metrics, ILogger logger) : IEndpointFilter
{
    public const string ActorItem = "agenttrust.admin";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        var header = http.Request.Headers.Authorization.ToString();
        var remote = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            metrics.RecordEvent("admin_refused");
            AuthorityLog.AdminRefused(logger, remote, "missing");
            return Problems.Create(StatusCodes.Status401Unauthorized, McpsCode.InsufficientTrust, "admin_token_required");
        }

        var tokens = await repository.GetAdminTokensAsync(http.RequestAborted).ConfigureAwait(false);
        var match = AdminTokens.Match(header["Bearer ".Length..].Trim(), tokens);
        if (match is null)
        {
            metrics.RecordEvent("admin_refused");
            AuthorityLog.AdminRefused(logger, remote, "invalid");
            return Problems.Create(StatusCodes.Status401Unauthorized, McpsCode.InsufficientTrust, "admin_token_invalid");
        }

        http.Items[ActorItem] = "admin:" + match.Label;
        return await next(context).ConfigureAwait(false);
    }
}
