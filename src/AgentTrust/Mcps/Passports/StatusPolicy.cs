namespace AgentTrust.Mcps.Passports;

/// <summary>How a verifier obtains revocation status (mcps.md §7.5).</summary>
public enum StatusPolicy
{
    /// <summary>A current status is required (server default); none obtainable → MCPS-007.</summary>
    Required = 0,

    /// <summary>As <see cref="Required"/>, but a recently expired cached status is accepted when the authority is unreachable.</summary>
    Cached = 1,

    /// <summary>No revocation check; the effective level is capped at 1 (Identified).</summary>
    None = 2,

    /// <summary>
    /// Ask for the status (a revoked passport is refused, a current level applies); when none can be obtained, proceed as
    /// <see cref="None"/> (level capped at 1) instead of refusing. The fail-open choice, for development.
    /// </summary>
    BestEffort = 3,
}
