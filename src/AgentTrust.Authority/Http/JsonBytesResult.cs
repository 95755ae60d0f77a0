using Microsoft.AspNetCore.Http;

namespace AgentTrust.Authority.Http;

/// <summary>Writes pre-serialised JSON bytes (JCS for signed documents) with a status code.</summary>
internal sealed class JsonBytesResult(int status, byte[] body, string contentType = "application/json", string? cacheControl = null) : IResult
{
    public byte[] Body => body;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = status;
        httpContext.Response.ContentType = contentType;
        httpContext.Response.ContentLength = body.Length;
        if (cacheControl is not null)
        {
            httpContext.Response.Headers.CacheControl = cacheControl;
        }

        return httpContext.Response.Body.WriteAsync(body, httpContext.RequestAborted).AsTask();
    }
}
