namespace AgentTrust.Jose;

/// <summary>Rules for <see cref="JwtClaimsValidator"/>. One skew is applied identically at every time boundary.</summary>
public sealed record JwtValidationOptions
{
    /// <summary>Accepted <c>iss</c> values, compared byte for byte. Null: issuer not checked. Empty: no issuer accepted.</summary>
    public IReadOnlyCollection<string>? TrustedIssuers { get; init; }

    /// <summary>When set, <c>aud</c> (string or array of strings) is mandatory and must contain this value exactly.</summary>
    public string? Audience { get; init; }

    /// <summary>The clock skew tolerated at every boundary (<c>exp</c>, <c>nbf</c>, <c>iat</c>). Default 30 s.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The maximum <c>exp − iat</c>; null for no bound. Default 900 s (requires <c>iat</c>).</summary>
    public TimeSpan? MaxLifetime { get; init; } = TimeSpan.FromSeconds(900);

    /// <summary><c>exp</c> must be present. Default true.</summary>
    public bool RequireExpiration { get; init; } = true;

    /// <summary><c>iat</c> must be present. Default true.</summary>
    public bool RequireIssuedAt { get; init; } = true;

    /// <summary>The clock. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
