namespace AgentTrust.Jose;

/// <summary>The outcome of JWT claim validation; every value but <see cref="Valid"/> is a rejection.</summary>
public enum JwtClaimStatus
{
    /// <summary>Every configured rule holds.</summary>
    Valid = 0,

    /// <summary>A required claim is absent.</summary>
    MissingClaim,

    /// <summary>A claim has the wrong type or an impossible value (non-integer time, <c>exp ≤ iat</c>, <c>nbf &gt; exp</c>, empty audience).</summary>
    BadClaim,

    /// <summary><c>iss</c> is not on the allow-list.</summary>
    UntrustedIssuer,

    /// <summary>The configured audience is not in <c>aud</c>.</summary>
    AudienceMismatch,

    /// <summary><c>now ≥ exp + skew</c>.</summary>
    Expired,

    /// <summary><c>nbf &gt; now + skew</c>.</summary>
    NotYetValid,

    /// <summary><c>iat &gt; now + skew</c>.</summary>
    IssuedInFuture,

    /// <summary><c>exp − iat</c> exceeds the maximum lifetime.</summary>
    LifetimeTooLong,
}

/// <summary>The verdict of <see cref="JwtClaimsValidator"/>: status, and which rule failed.</summary>
/// <param name="Status">The outcome.</param>
/// <param name="Reason">A short fixed text when rejected, else null.</param>
public readonly record struct JwtClaimsResult(JwtClaimStatus Status, string? Reason)
{
    /// <summary>The success value.</summary>
    public static JwtClaimsResult Valid { get; } = new(JwtClaimStatus.Valid, null);

    /// <summary>True when valid.</summary>
    public bool IsValid => Status == JwtClaimStatus.Valid;
}
