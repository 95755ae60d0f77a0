namespace AgentTrust.Gateway.Configuration;

/// <summary>What the gateway does when the Trust Authority cannot be reached (mcps.md §7.5, MCPS-007).</summary>
public enum FailurePolicy
{
    /// <summary>Refuse (MCPS-007). The default.</summary>
    Closed,

    /// <summary>Use a cached passport or status up to its maximum age past expiry, otherwise refuse.</summary>
    Cached,

    /// <summary>Still ask the authority (revocation and level apply); when no answer comes, proceed with the level capped at 1. For development only.</summary>
    Open,
}
