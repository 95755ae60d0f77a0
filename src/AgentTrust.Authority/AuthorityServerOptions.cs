namespace AgentTrust.Authority;

/// <summary>Settings of a Trust Authority server. Defaults are production values.</summary>
public sealed class AuthorityServerOptions
{
    /// <summary>The authority's name: the <c>issuer</c> of the passports it signs. Default <c>agenttrust-ta</c>.</summary>
    public string Name { get; set; } = "agenttrust-ta";

    /// <summary>Listening URLs (Kestrel syntax; port 0 picks a free port). Default <c>http://127.0.0.1:8080</c>.</summary>
    public IList<string> Urls { get; } = new List<string>();

    /// <summary>Lifetime of a registration challenge. Default 2 minutes.</summary>
    public TimeSpan ChallengeLifetime { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Lifetime of an issued passport. Default 30 days (mcps.md §7.1).</summary>
    public TimeSpan PassportLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Trust level of a newly registered agent. Default 1 (Identified).</summary>
    public int InitialTrustLevel { get; set; } = 1;

    /// <summary>How long a signed status answer is vouched for (its <c>valid_until</c>). Default 5 minutes.</summary>
    public TimeSpan StatusLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Lifetime of a stapled status; at most one hour. Default 30 minutes.</summary>
    public TimeSpan StapleLifetime { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Interval after which a revocation list must be fetched again (its <c>next_update</c>). Default 10 minutes.</summary>
    public TimeSpan RevocationListInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long the server reuses one signed status answer for the same passport (0 disables). Revocation and
    /// trust-level changes on this server drop it at once. Default 1 second.
    /// </summary>
    public TimeSpan StatusReuse { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Requests per second per client for reads (status, passports, staples, lists, keys). Default 5000.</summary>
    public int ReadRequestsPerSecond { get; set; } = 5000;

    /// <summary>Requests per second per client for writes (challenges, registration, checkpoints, admin). Default 20.</summary>
    public int WriteRequestsPerSecond { get; set; } = 20;

    /// <summary>Burst allowance as a multiple of the per-second rate. Default 2.</summary>
    public int BurstFactor { get; set; } = 2;

    /// <summary>Largest request body for registration (a passport of 8192 bytes plus the proof). Default 16 KiB.</summary>
    public int MaxRegistrationBodyBytes { get; set; } = 16 * 1024;

    /// <summary>Largest request body of every other endpoint. Default 4 KiB.</summary>
    public int MaxBodyBytes { get; set; } = 4 * 1024;
}
