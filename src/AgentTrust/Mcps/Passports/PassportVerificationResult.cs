using AgentTrust.Errors;

namespace AgentTrust.Mcps.Passports;

/// <summary>The outcome of <see cref="PassportVerifier"/> (mcps.md §7.4 step 7).</summary>
public sealed record PassportVerificationResult
{
    /// <summary>True when the passport is well-formed, inside its validity, and either self-issued or chained to an anchor.</summary>
    public bool IsValid { get; init; }

    /// <summary>The failure code, or null when valid.</summary>
    public McpsCode? Code { get; init; }

    /// <summary>The failure reason, or null when valid.</summary>
    public string? Reason { get; init; }

    /// <summary>The parsed passport, when it parsed.</summary>
    public AgentPassport? Passport { get; init; }

    /// <summary>True when the passport is self-issued (level 0 whatever it claims).</summary>
    public bool IsSelfIssued { get; init; }

    /// <summary>For a self-issued passport: whether its own signature verifies (an unsigned one is still level 0).</summary>
    public bool SelfSignatureValid { get; init; }

    /// <summary>True when a signature chain reaches a configured anchor.</summary>
    public bool ReachesAnchor { get; init; }

    /// <summary>The anchor reached, or null.</summary>
    public string? RootIssuer { get; init; }

    /// <summary>Signature hops from the passport to the anchor (1 = signed by the anchor directly).</summary>
    public int ChainLength { get; init; }

    /// <summary>The level the passport claims.</summary>
    public int ClaimedLevel { get; init; }

    /// <summary>The minimum of the anchor's cap and every ancestor's own level.</summary>
    public int LevelCap { get; init; }

    /// <summary>
    /// The level this chain supports before revocation status: <c>min(claimed, cap)</c> when an anchor is reached,
    /// else 0. <see cref="Envelopes.McpsMessageVerifier"/> applies status and policy caps on top.
    /// </summary>
    public int TrustLevel => IsValid && ReachesAnchor ? Math.Min(ClaimedLevel, LevelCap) : 0;

    /// <summary>For a valid result: the first instant at which every passport of the chain is inside its validity.</summary>
    public DateTimeOffset ValidFrom { get; init; }

    /// <summary>For a valid result: the first instant at which a passport of the chain has expired.</summary>
    public DateTimeOffset ValidUntil { get; init; }

    internal static PassportVerificationResult Fail(McpsFailure failure, AgentPassport? passport = null) =>
        new() { IsValid = false, Code = failure.Code, Reason = failure.Reason, Passport = passport };
}
