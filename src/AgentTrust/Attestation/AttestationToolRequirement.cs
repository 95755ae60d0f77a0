namespace AgentTrust.Attestation;

/// <summary>
/// What a tool requires of the caller's attestation (for example: payment tools require a verified token from listed
/// issuers). Evaluated against the session's <see cref="AttestationVerdict"/> after the session policy let it through.
/// </summary>
public sealed record AttestationToolRequirement
{
    /// <summary>No requirement.</summary>
    public static AttestationToolRequirement None { get; } = new() { RequireAttested = false };

    /// <summary>The caller must hold a verified token. Default true.</summary>
    public bool RequireAttested { get; init; } = true;

    /// <summary>When non-empty, the verified issuer must be one of these (byte-equal).</summary>
    public IReadOnlySet<string> AllowedIssuers { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>The minimum trust level (ordered none &lt; enterprise &lt; provider). Default enterprise.</summary>
    public AttestationTrustLevel MinimumTrustLevel { get; init; } = AttestationTrustLevel.Enterprise;

    /// <summary>The minimum safety level, when set.</summary>
    public SafetyLevel? MinimumSafetyLevel { get; init; }

    /// <summary>Checks <paramref name="verdict"/> (null = no attestation) against this requirement; null when satisfied, else the unmet rule.</summary>
    public string? Evaluate(AttestationVerdict? verdict)
    {
        if (!RequireAttested)
        {
            return null;
        }

        if (verdict is not { Verified: true, Claims: { } claims })
        {
            return "attestation_required";
        }

        if (AllowedIssuers.Count > 0 && !AllowedIssuers.Contains(claims.Issuer))
        {
            return "issuer_not_allowed";
        }

        if (verdict.TrustLevel < MinimumTrustLevel)
        {
            return "trust_level_too_low";
        }

        return MinimumSafetyLevel is { } min && claims.SafetyLevel < min ? "safety_below_minimum" : null;
    }
}

/// <summary>Per-tool attestation requirements with a default for unlisted tools.</summary>
public sealed class AttestationToolPolicy
{
    private readonly Dictionary<string, AttestationToolRequirement> _tools;

    /// <summary>Creates a policy.</summary>
    public AttestationToolPolicy(IReadOnlyDictionary<string, AttestationToolRequirement> tools, AttestationToolRequirement? defaultRequirement = null)
    {
        ArgumentNullException.ThrowIfNull(tools);
        _tools = new Dictionary<string, AttestationToolRequirement>(tools, StringComparer.Ordinal);
        Default = defaultRequirement ?? AttestationToolRequirement.None;
    }

    /// <summary>The requirement of unlisted tools.</summary>
    public AttestationToolRequirement Default { get; }

    /// <summary>Null when the call may proceed, else the unmet rule.</summary>
    public string? Evaluate(string toolName, AttestationVerdict? verdict) =>
        (_tools.TryGetValue(toolName, out var requirement) ? requirement : Default).Evaluate(verdict);
}
