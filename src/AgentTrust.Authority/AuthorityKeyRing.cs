using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Keys;
using AgentTrust.TrustAuthority;

namespace AgentTrust.Authority;

/// <summary>
/// The authority's two keys: ES256 for passports, status, staples and revocation lists (MCPS), Ed25519 for audit
/// anchors (receipts.md §7.6). The ring owns the keys and zeroes them when disposed.
/// </summary>
public sealed class AuthorityKeyRing : IDisposable
{
    /// <summary>Creates a ring; the keys must be ES256 and Ed25519 respectively.</summary>
    public AuthorityKeyRing(SigningKey passportKey, SigningKey anchorKey)
    {
        ArgumentNullException.ThrowIfNull(passportKey);
        ArgumentNullException.ThrowIfNull(anchorKey);
        if (passportKey.Algorithm != SignatureAlgorithm.ES256 || anchorKey.Algorithm != SignatureAlgorithm.EdDSA)
        {
            throw new ArgumentException("The passport key must be ES256 and the anchor key Ed25519.");
        }

        PassportKey = passportKey;
        AnchorKey = anchorKey;
        PassportKeyId = passportKey.PublicKey.Thumbprint;
        AnchorKeyId = anchorKey.PublicKey.Thumbprint;
        AnchorPublicKeyText = AuthoritySignedDocument.Ed25519Prefix + StrictBase64.Encode(anchorKey.PublicKey.RawPublicKey.Span);
    }

    /// <summary>The ES256 key.</summary>
    public SigningKey PassportKey { get; }

    /// <summary>The Ed25519 key.</summary>
    public SigningKey AnchorKey { get; }

    /// <summary>RFC 7638 thumbprint of the ES256 key (its <c>kid</c>).</summary>
    public string PassportKeyId { get; }

    /// <summary>RFC 7638 thumbprint of the Ed25519 key (its <c>kid</c>).</summary>
    public string AnchorKeyId { get; }

    /// <summary>The anchor key as <c>ed25519:</c> + base64.</summary>
    public string AnchorPublicKeyText { get; }

    /// <summary>Generates two fresh keys (tests, ephemeral servers).</summary>
    public static AuthorityKeyRing Generate() => new(SigningKey.Generate(SignatureAlgorithm.ES256), SigningKey.Generate(SignatureAlgorithm.EdDSA));

    /// <summary>The public JWKS: both keys with <c>kid</c>, <c>alg</c> and <c>use</c>.</summary>
    public IReadOnlyList<JsonWebKey> PublicKeys =>
    [
        PassportKey.PublicKey.ToJsonWebKey().With(kid: PassportKeyId, alg: "ES256", use: "sig"),
        AnchorKey.PublicKey.ToJsonWebKey().With(kid: AnchorKeyId, alg: "EdDSA", use: "sig"),
    ];

    /// <inheritdoc />
    public void Dispose()
    {
        PassportKey.Dispose();
        AnchorKey.Dispose();
    }
}
