using AgentTrust.Cryptography;
using AgentTrust.Jose;

namespace AgentTrust.Attestation;

/// <summary>A trusted attestation issuer: its URL (compared byte for byte), where its keys come from, and what it may assert.</summary>
public sealed record TrustedIssuer
{
    /// <summary>Creates an issuer entry.</summary>
    /// <exception cref="ArgumentException">The URL is not https (or loopback http).</exception>
    public TrustedIssuer(string issuer, IJwsKeyResolver keys)
    {
        if (!IssuerUrl.IsAcceptable(issuer, out var reason))
        {
            throw new ArgumentException(reason, nameof(issuer));
        }

        ArgumentNullException.ThrowIfNull(keys);
        Issuer = issuer;
        Keys = keys;
    }

    /// <summary>The issuer URL.</summary>
    public string Issuer { get; }

    /// <summary>The issuer's keys (a JWKS client, or fixed keys).</summary>
    public IJwsKeyResolver Keys { get; }

    /// <summary>Algorithms accepted from this issuer. Default both.</summary>
    public IReadOnlySet<SignatureAlgorithm> AllowedAlgorithms { get; init; } = new HashSet<SignatureAlgorithm> { SignatureAlgorithm.EdDSA, SignatureAlgorithm.ES256 };

    /// <summary><c>attestation_type</c> values this issuer may assert. Default both.</summary>
    public IReadOnlySet<AttestationType> AllowedAttestationTypes { get; init; } = new HashSet<AttestationType> { AttestationType.Provider, AttestationType.Enterprise };

    /// <summary>When set, <c>sub</c> must be a SPIFFE ID in this trust domain.</summary>
    public string? SpiffeTrustDomain { get; init; }
}
