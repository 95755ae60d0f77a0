using System.Security.Cryptography;
using AgentTrust.Keys;

namespace AgentTrust.Cryptography;

/// <summary>
/// A public key of one of the two accepted algorithms. Verification never throws on bad input: it returns a
/// <see cref="SignatureStatus"/> that says why a signature failed.
/// </summary>
public abstract class VerificationKey : IEquatable<VerificationKey>
{
    private string? _thumbprint;

    private protected VerificationKey()
    {
    }

    /// <summary>The algorithm of this key.</summary>
    public abstract SignatureAlgorithm Algorithm { get; }

    /// <summary>
    /// The raw public key: 32 bytes for Ed25519, the 65-byte uncompressed SEC1 point <c>04‖x‖y</c> for P-256.
    /// </summary>
    public abstract ReadOnlyMemory<byte> RawPublicKey { get; }

    /// <summary>The RFC 7638 JWK thumbprint (SHA-256, base64url): the default key id everywhere in AgentTrust.</summary>
    public string Thumbprint => _thumbprint ??= ToJsonWebKey().ComputeThumbprint();

    /// <summary>Verifies a 64-byte signature over <paramref name="data"/>.</summary>
    /// <param name="data">The signed bytes (the raw preimage; ES256 hashes it with SHA-256 itself).</param>
    /// <param name="signature">The signature: P1363 <c>r‖s</c> for ES256, RFC 8032 for EdDSA.</param>
    /// <param name="options">Verification options; <see cref="SignatureVerificationOptions.Default"/> when null.</param>
    public abstract SignatureStatus Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, SignatureVerificationOptions? options = null);

    /// <summary>The public JWK (RFC 7517/7518, RFC 8037 for Ed25519), without <c>kid</c>.</summary>
    public abstract JsonWebKey ToJsonWebKey();

    /// <summary>Imports a 32-byte Ed25519 public key.</summary>
    public static VerificationKey ImportEd25519(ReadOnlySpan<byte> publicKey) => new Ed25519VerificationKey(publicKey);

    /// <summary>Imports a P-256 public key from its affine coordinates; the point is validated on the curve.</summary>
    /// <exception cref="CryptographicException">The point is not on P-256 or the coordinates are not 32 bytes.</exception>
    public static VerificationKey ImportP256(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y) => new Es256VerificationKey(x, y);

    /// <summary>Imports a P-256 public key from the 65-byte uncompressed SEC1 point.</summary>
    /// <exception cref="CryptographicException">The encoding or the point is invalid.</exception>
    public static VerificationKey ImportP256Uncompressed(ReadOnlySpan<byte> point)
    {
        if (point.Length != 65 || point[0] != 0x04)
        {
            throw new CryptographicException("An uncompressed P-256 point is 65 bytes starting with 0x04.");
        }

        return new Es256VerificationKey(point.Slice(1, 32), point.Slice(33, 32));
    }

    /// <inheritdoc />
    public bool Equals(VerificationKey? other) =>
        other is not null && other.Algorithm == Algorithm && other.RawPublicKey.Span.SequenceEqual(RawPublicKey.Span);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is VerificationKey other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Algorithm);
        hash.AddBytes(RawPublicKey.Span);
        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString() => $"{Algorithm.ToIdentifier()} {Thumbprint}";
}

/// <summary>An Ed25519 public key.</summary>
internal sealed class Ed25519VerificationKey : VerificationKey
{
    private readonly byte[] _publicKey;

    internal Ed25519VerificationKey(ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length != Ed25519.PublicKeySize)
        {
            throw new CryptographicException("An Ed25519 public key is 32 bytes.");
        }

        _publicKey = publicKey.ToArray();
    }

    public override SignatureAlgorithm Algorithm => SignatureAlgorithm.EdDSA;

    public override ReadOnlyMemory<byte> RawPublicKey => _publicKey;

    public override SignatureStatus Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, SignatureVerificationOptions? options = null)
    {
        if (signature.Length != Ed25519.SignatureSize)
        {
            return SignatureStatus.WrongLength;
        }

        return Ed25519.Verify(_publicKey, data, signature) ? SignatureStatus.Valid : SignatureStatus.Mismatch;
    }

    public override JsonWebKey ToJsonWebKey() => JsonWebKey.ForEd25519(_publicKey);
}

/// <summary>A P-256 public key; the <see cref="ECDsa"/> instance is created once and reused.</summary>
internal sealed class Es256VerificationKey : VerificationKey
{
    private readonly byte[] _point;
    private readonly ECDsa _ecdsa;

    internal Es256VerificationKey(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        _ecdsa = EcdsaP256.ImportPublicKey(x, y);
        _point = new byte[65];
        _point[0] = 0x04;
        x.CopyTo(_point.AsSpan(1));
        y.CopyTo(_point.AsSpan(33));
    }

    public override SignatureAlgorithm Algorithm => SignatureAlgorithm.ES256;

    public override ReadOnlyMemory<byte> RawPublicKey => _point;

    internal ReadOnlySpan<byte> X => _point.AsSpan(1, 32);

    internal ReadOnlySpan<byte> Y => _point.AsSpan(33, 32);

    public override SignatureStatus Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, SignatureVerificationOptions? options = null)
    {
        var status = EcdsaP256.CheckEncoding(signature, (options ?? SignatureVerificationOptions.Default).AcceptHighS);
        if (status != SignatureStatus.Valid)
        {
            return status;
        }

        return _ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
            ? SignatureStatus.Valid
            : SignatureStatus.Mismatch;
    }

    public override JsonWebKey ToJsonWebKey() => JsonWebKey.ForP256(X, Y);
}
