using AgentTrust.Cryptography;

namespace AgentTrust.TrustAuthority;

/// <summary>Settings of a <see cref="TrustAuthorityClient"/>.</summary>
public sealed class TrustAuthorityClientOptions
{
    /// <summary>
    /// The authority's ES256 key that signs passports, status, staples and revocation lists. Pin it from configuration;
    /// when null the client trusts the key from the authority's JWKS on first use (integrity only, not authenticity).
    /// </summary>
    public VerificationKey? AuthorityKey { get; set; }

    /// <summary>The authority's Ed25519 anchor key; when null it is taken from the JWKS on first use.</summary>
    public VerificationKey? AnchorKey { get; set; }

    /// <summary>Behaviour when the authority is unreachable. Default <see cref="AuthorityFailurePolicy.FailClosed"/>.</summary>
    public AuthorityFailurePolicy FailurePolicy { get; set; } = AuthorityFailurePolicy.FailClosed;

    /// <summary>How long a verified status answer is reused without asking again (also bounded by its valid_until). Default 30 s.</summary>
    public TimeSpan StatusCacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The oldest cached answer <see cref="AuthorityFailurePolicy.FailOpenCached"/> accepts. Default 1 h.</summary>
    public TimeSpan MaxCachedAge { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Largest response body read, in bytes. Default 4 MiB (revocation lists can be long).</summary>
    public int MaxResponseBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Most status answers held in the cache. Default 100 000; when full, new answers are not cached.</summary>
    public int MaxCacheEntries { get; set; } = 100_000;
}
