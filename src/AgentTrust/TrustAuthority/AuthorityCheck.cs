using AgentTrust.Errors;

namespace AgentTrust.TrustAuthority;

/// <summary>The outcome of a Trust Authority check: valid, or the MCPS code and reason of the rejection.</summary>
/// <param name="IsValid">True when the check passed.</param>
/// <param name="Code">The MCPS code of the rejection; null when valid.</param>
/// <param name="Reason">The reason string of the rejection (mcps.md §13); null when valid.</param>
public sealed record AuthorityCheck(bool IsValid, McpsCode? Code, string? Reason)
{
    /// <summary>A passed check.</summary>
    public static AuthorityCheck Success { get; } = new(true, null, null);

    /// <summary>A failed check with its code and reason.</summary>
    public static AuthorityCheck Fail(McpsCode code, string reason) => new(false, code, reason);
}
