using System.Globalization;
using System.Text.Json.Nodes;
using AgentTrust.Errors;
using Microsoft.AspNetCore.Http;

namespace AgentTrust.Authority.Http;

/// <summary>
/// RFC 9457 problem details with the AgentTrust members <c>mcps_code</c> (<c>MCPS-0nn</c>) and <c>reason</c>
/// (mcps.md §13). Messages never echo secrets or exception text.
/// </summary>
internal static class Problems
{
    public const string ContentType = "application/problem+json";

    public static IResult Create(int status, McpsCode code, string reason, string? detail = null) => new ProblemResult(status, code, reason, detail);

    public static Task WriteAsync(HttpContext context, int status, McpsCode? code, string reason, string? detail = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = ContentType;
        return context.Response.WriteAsync(Build(context, status, code, reason, detail).ToJsonString(), context.RequestAborted);
    }

    public static JsonObject Build(HttpContext context, int status, McpsCode? code, string reason, string? detail)
    {
        var problem = new JsonObject
        {
            ["type"] = "https://agenttrust.dev/problems/" + reason.Replace('_', '-'),
            ["title"] = code?.DefaultMessage() ?? Title(status),
            ["status"] = status,
            ["detail"] = detail ?? code?.DefaultMessage() ?? Title(status),
            ["instance"] = context.Request.Path.Value,
            ["reason"] = reason,
        };
        if (code is { } c)
        {
            problem["mcps_code"] = c.ToCodeString();
        }

        return problem;
    }

    private static string Title(int status) => status switch
    {
        404 => "Not found",
        405 => "Method not allowed",
        413 => "Request too large",
        _ => "HTTP " + status.ToString(CultureInfo.InvariantCulture),
    };

    private sealed class ProblemResult(int status, McpsCode code, string reason, string? detail) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            if (status == StatusCodes.Status401Unauthorized)
            {
                httpContext.Response.Headers.WWWAuthenticate = "Bearer";
            }

            return WriteAsync(httpContext, status, code, reason, detail);
        }
    }
}
