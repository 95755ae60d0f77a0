namespace AgentTrust.Jwks;

/// <summary>Settings of <see cref="HttpJwksKeyResolver"/> (attestation.md §2); defaults as the spec states.</summary>
public sealed record JwksClientOptions
{
    /// <summary>The JWKS URL: https, or http only to a loopback host. Never taken from a token.</summary>
    public required Uri JwksUri { get; init; }

    /// <summary>A label for metrics (the configured issuer). Default: the JWKS host.</summary>
    public string? IssuerTag { get; init; }

    /// <summary>TTL when the response has no <c>Cache-Control: max-age</c>. Default 3600 s.</summary>
    public TimeSpan DefaultTtl { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Lower clamp of <c>max-age</c>. Default 300 s.</summary>
    public TimeSpan MinTtl { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>Upper clamp of <c>max-age</c>. Default 86 400 s.</summary>
    public TimeSpan MaxTtl { get; init; } = TimeSpan.FromDays(1);

    /// <summary>At most one refetch for unknown kids per interval; unknown kids are negative-cached that long. Default 30 s.</summary>
    public TimeSpan UnknownKidRefetchInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long past expiry the last good set is served while refreshes fail. Default 24 h.</summary>
    public TimeSpan MaxStale { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Timeout of one HTTP attempt. Default 10 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Retries after a failed attempt (network, timeout, 5xx, 429; never other 4xx). Default 3.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>First retry delay (exponential, jittered). Default 0.5 s.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Largest retry delay. Default 10 s.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Failed refreshes in a row that open the breaker. Default 5.</summary>
    public int BreakerFailureThreshold { get; init; } = 5;

    /// <summary>How long the breaker stays open before one probe. Default 30 s.</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest response body read. Default 64 KiB.</summary>
    public int MaxResponseBytes { get; init; } = 64 * 1024;

    /// <summary>The default JWKS location of an issuer: <c>issuer.TrimEnd('/') + "/.well-known/jwks.json"</c>.</summary>
    public static Uri DefaultJwksUri(string issuer)
    {
        ArgumentException.ThrowIfNullOrEmpty(issuer);
        return new Uri(issuer.TrimEnd('/') + "/.well-known/jwks.json", UriKind.Absolute);
    }
}
