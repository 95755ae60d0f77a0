using System.Text.Json;

namespace AgentTrust.Jose;

/// <summary>
/// Validates registered JWT claims (RFC 7519 §4.1) of a verified payload. Times are integers in [0, 2^53−1]; with skew
/// <c>S</c>: reject when <c>now ≥ exp + S</c>, <c>nbf &gt; now + S</c>, <c>iat &gt; now + S</c>; also <c>exp &gt; iat</c>,
/// <c>nbf ≤ exp</c>, <c>exp − iat ≤ MaxLifetime</c>. Never throws on bad input.
/// </summary>
public sealed class JwtClaimsValidator
{
    private const long MaxSafeInteger = 9_007_199_254_740_991;
    private readonly JwtValidationOptions _options;
    private readonly HashSet<string>? _issuers;

    /// <summary>Creates a validator.</summary>
    public JwtClaimsValidator(JwtValidationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ClockSkew < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "ClockSkew must not be negative.");
        }

        _options = options;
        _issuers = options.TrustedIssuers is null ? null : new HashSet<string>(options.TrustedIssuers, StringComparer.Ordinal);
    }

    /// <summary>The options in force.</summary>
    public JwtValidationOptions Options => _options;

    /// <summary>Runs every rule: issuer, times, audience (in that order).</summary>
    public JwtClaimsResult Validate(JsonElement claims)
    {
        var result = ValidateIssuer(claims);
        if (!result.IsValid)
        {
            return result;
        }

        result = ValidateTimes(claims);
        return result.IsValid ? ValidateAudience(claims) : result;
    }

    /// <summary>Checks <c>iss</c> against the allow-list (no-op when none is configured).</summary>
    public JwtClaimsResult ValidateIssuer(JsonElement claims)
    {
        if (_issuers is null)
        {
            return JwtClaimsResult.Valid;
        }

        if (claims.ValueKind != JsonValueKind.Object || !claims.TryGetProperty("iss", out var iss))
        {
            return new(JwtClaimStatus.MissingClaim, "iss missing");
        }

        if (iss.ValueKind != JsonValueKind.String)
        {
            return new(JwtClaimStatus.BadClaim, "iss is not a string");
        }

        return _issuers.Contains(iss.GetString()!) ? JwtClaimsResult.Valid : new(JwtClaimStatus.UntrustedIssuer, "issuer not trusted");
    }

    /// <summary>Checks <c>exp</c>, <c>nbf</c>, <c>iat</c> and the lifetime against the clock.</summary>
    public JwtClaimsResult ValidateTimes(JsonElement claims)
    {
        if (claims.ValueKind != JsonValueKind.Object)
        {
            return new(JwtClaimStatus.BadClaim, "claims are not an object");
        }

        var exp = ReadTime(claims, "exp", _options.RequireExpiration, out var bad);
        if (bad is not null)
        {
            return bad.Value;
        }

        var nbf = ReadTime(claims, "nbf", required: false, out bad);
        if (bad is not null)
        {
            return bad.Value;
        }

        var iat = ReadTime(claims, "iat", _options.RequireIssuedAt || _options.MaxLifetime is not null, out bad);
        if (bad is not null)
        {
            return bad.Value;
        }

        var nowMs = _options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        var skewMs = (long)_options.ClockSkew.TotalMilliseconds;
        if (exp is { } e && nowMs >= (e * 1000) + skewMs)
        {
            return new(JwtClaimStatus.Expired, "expired");
        }

        if (nbf is { } n && n * 1000 > nowMs + skewMs)
        {
            return new(JwtClaimStatus.NotYetValid, "not yet valid");
        }

        if (iat is { } i && i * 1000 > nowMs + skewMs)
        {
            return new(JwtClaimStatus.IssuedInFuture, "issued in the future");
        }

        if (exp is { } e2 && iat is { } i2 && e2 <= i2)
        {
            return new(JwtClaimStatus.BadClaim, "exp is not after iat");
        }

        if (exp is { } e3 && nbf is { } n3 && n3 > e3)
        {
            return new(JwtClaimStatus.BadClaim, "nbf is after exp");
        }

        if (_options.MaxLifetime is { } max && exp is { } e4 && iat is { } i4 && (e4 - i4) * 1000 > (long)max.TotalMilliseconds)
        {
            return new(JwtClaimStatus.LifetimeTooLong, "lifetime too long");
        }

        return JwtClaimsResult.Valid;
    }

    /// <summary>Checks that the configured audience is in <c>aud</c> (string or non-empty array of strings). No-op without an audience.</summary>
    public JwtClaimsResult ValidateAudience(JsonElement claims)
    {
        if (_options.Audience is null)
        {
            return JwtClaimsResult.Valid;
        }

        if (claims.ValueKind != JsonValueKind.Object || !claims.TryGetProperty("aud", out var aud))
        {
            return new(JwtClaimStatus.MissingClaim, "aud missing");
        }

        return ContainsAudience(aud, _options.Audience);
    }

    /// <summary>Checks an <c>aud</c> value (string, or non-empty array of strings) for <paramref name="audience"/>, exactly.</summary>
    public static JwtClaimsResult ContainsAudience(JsonElement aud, string audience)
    {
        switch (aud.ValueKind)
        {
            case JsonValueKind.String:
                return aud.ValueEquals(audience) ? JwtClaimsResult.Valid : new(JwtClaimStatus.AudienceMismatch, "audience mismatch");
            case JsonValueKind.Array when aud.GetArrayLength() > 0:
                var found = false;
                foreach (var item in aud.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String)
                    {
                        return new(JwtClaimStatus.BadClaim, "aud array holds a non-string");
                    }

                    found |= item.ValueEquals(audience);
                }

                return found ? JwtClaimsResult.Valid : new(JwtClaimStatus.AudienceMismatch, "audience mismatch");
            default:
                return new(JwtClaimStatus.BadClaim, "aud must be a string or a non-empty array of strings");
        }
    }

    /// <summary>Reads an integer NumericDate in [0, 2^53−1]; <paramref name="failure"/> is set when absent-but-required or ill-typed.</summary>
    internal static long? ReadTime(JsonElement claims, string name, bool required, out JwtClaimsResult? failure)
    {
        failure = null;
        if (!claims.TryGetProperty(name, out var value))
        {
            if (required)
            {
                failure = new(JwtClaimStatus.MissingClaim, name + " missing");
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var seconds) || seconds is < 0 or > MaxSafeInteger)
        {
            failure = new(JwtClaimStatus.BadClaim, name + " is not an integer NumericDate");
            return null;
        }

        return seconds;
    }
}
