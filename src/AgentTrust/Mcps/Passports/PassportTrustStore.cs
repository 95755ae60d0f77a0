using AgentTrust.Cryptography;

namespace AgentTrust.Mcps.Passports;

/// <summary>A configured trust anchor: the issuer name passports use, its key and the highest level it may confer.</summary>
/// <param name="Name">The issuer name (what a passport's <c>issuer</c> says).</param>
/// <param name="Key">The anchor's ES256 public key.</param>
/// <param name="MaxTrustLevel">The cap on any level reached through this anchor (0–4).</param>
public sealed record TrustAnchor(string Name, VerificationKey Key, int MaxTrustLevel = 4);

/// <summary>
/// The issuer keys a verifier trusts. Trust comes only from a signature chain to one of these keys, never from a
/// name in a passport (mcps.md §7.4, §15 defect 5).
/// </summary>
public sealed class PassportTrustStore
{
    private readonly Dictionary<string, TrustAnchor> _anchors = new(StringComparer.Ordinal);

    /// <summary>An empty store: no passport reaches an anchor.</summary>
    public static PassportTrustStore Empty => new();

    /// <summary>The anchors.</summary>
    public IReadOnlyCollection<TrustAnchor> Anchors => _anchors.Values;

    /// <summary>Adds an anchor and returns the store.</summary>
    /// <exception cref="ArgumentException">The key is not ES256, the name is reserved (<c>self</c>) or empty, or the level is outside 0–4.</exception>
    public PassportTrustStore Add(string name, VerificationKey key, int maxTrustLevel = 4)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(key);
        if (name == "self")
        {
            throw new ArgumentException("'self' is not an anchor name.", nameof(name));
        }

        if (key.Algorithm != SignatureAlgorithm.ES256)
        {
            throw new ArgumentException("Passport issuers sign with ES256.", nameof(key));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(maxTrustLevel);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxTrustLevel, 4);
        _anchors[name] = new TrustAnchor(name, key, maxTrustLevel);
        return this;
    }

    /// <summary>Looks an anchor up by its name.</summary>
    public bool TryGet(string? name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TrustAnchor? anchor)
    {
        anchor = null;
        return name is not null && _anchors.TryGetValue(name, out anchor);
    }
}
