using AgentTrust.Mcps.Passports;

namespace AgentTrust.TrustAuthority;

/// <summary>What <see cref="TrustAuthorityClient"/> answers when the Trust Authority cannot be reached.</summary>
public enum AuthorityFailurePolicy
{
    /// <summary>Fail closed: no live answer means MCPS-007 (<c>status_unavailable</c>). The default.</summary>
    FailClosed,

    /// <summary>
    /// Use a cached, verified answer no older than <see cref="TrustAuthorityClientOptions.MaxCachedAge"/>; beyond that,
    /// MCPS-007.
    /// </summary>
    FailOpenCached,

    /// <summary>
    /// Use any cached answer; with none, report success with status <see cref="PassportStatusKind.Unknown"/> and
    /// <see cref="StatusLookup.FailedOpen"/> set, leaving the decision (for example a level cap) to the caller.
    /// </summary>
    FailOpen,
}
