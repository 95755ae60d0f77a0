using System.Security.Cryptography;

namespace AgentTrust.Cryptography;

/// <summary>
/// A private key of one of the two accepted algorithms. Signatures are always 64 bytes; ES256 signatures are
/// always low-S. Dispose the key to zero its private bytes.
/// </summary>
public abstract class SigningKey : IDisposable
{
    /// <summary>Size of every signature produced, in bytes.</summary>
    public const int SignatureSize = 64;

    /// <summary>Size of the exported private key (Ed25519 seed or P-256 scalar), in bytes.</summary>
    public const int PrivateKeySize = 32;

    private protected SigningKey()
    {
    }

    /// <summary>The algorithm of this key.</summary>
    public abstract SignatureAlgorithm Algorithm { get; }

    /// <summary>The matching public key.</summary>
    public abstract VerificationKey PublicKey { get; }

    /// <summary>True once <see cref="Dispose()"/> has zeroed the key.</summary>
    protected bool IsDisposed { get; private set; }

    /// <summary>Signs <paramref name="data"/> into a 64-byte <paramref name="signature"/> destination.</summary>
    public abstract void Sign(ReadOnlySpan<byte> data, Span<byte> signature);

    /// <summary>Signs <paramref name="data"/> and returns the 64-byte signature.</summary>
    public byte[] Sign(ReadOnlySpan<byte> data)
    {
        var signature = new byte[SignatureSize];
        Sign(data, signature);
        return signature;
    }

    /// <summary>
    /// Writes the 32-byte private key (Ed25519 seed, or P-256 scalar <c>d</c> big-endian) to <paramref name="destination"/>.
    /// The caller must zero it after use.
    /// </summary>
    public abstract void ExportPrivateKey(Span<byte> destination);

    /// <summary>Generates a new key from the operating system's CSPRNG.</summary>
    public static SigningKey Generate(SignatureAlgorithm algorithm) => algorithm switch
    {
        SignatureAlgorithm.EdDSA => Ed25519SigningKey.Generate(),
        SignatureAlgorithm.ES256 => Es256SigningKey.Generate(),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>Imports a 32-byte private key (Ed25519 seed or P-256 scalar). The input is copied; zero yours after.</summary>
    /// <exception cref="CryptographicException">The key is not valid for the algorithm.</exception>
    public static SigningKey Import(SignatureAlgorithm algorithm, ReadOnlySpan<byte> privateKey) => algorithm switch
    {
        SignatureAlgorithm.EdDSA => new Ed25519SigningKey(privateKey),
        SignatureAlgorithm.ES256 => new Es256SigningKey(privateKey),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>Zeroes the private key.</summary>
    public void Dispose()
    {
        if (!IsDisposed)
        {
            Dispose(true);
            IsDisposed = true;
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the private key material.</summary>
    protected abstract void Dispose(bool disposing);

    /// <summary>Throws when the key was disposed.</summary>
    protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);
}

/// <summary>An Ed25519 private key held as libsodium's expanded 64-byte secret key, pinned so it can be zeroed.</summary>
internal sealed class Ed25519SigningKey : SigningKey
{
    private readonly byte[] _secretKey = GC.AllocateArray<byte>(Ed25519.ExpandedSecretKeySize, pinned: true);
    private readonly Ed25519VerificationKey _publicKey;

    internal Ed25519SigningKey(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != Ed25519.SeedSize)
        {
            throw new CryptographicException("An Ed25519 seed is 32 bytes.");
        }

        Span<byte> publicKey = stackalloc byte[Ed25519.PublicKeySize];
        Ed25519.ExpandSeed(seed, _secretKey, publicKey);
        _publicKey = new Ed25519VerificationKey(publicKey);
    }

    internal static Ed25519SigningKey Generate()
    {
        Span<byte> seed = stackalloc byte[Ed25519.SeedSize];
        try
        {
            RandomNumberGenerator.Fill(seed);
            return new Ed25519SigningKey(seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    public override SignatureAlgorithm Algorithm => SignatureAlgorithm.EdDSA;

    public override VerificationKey PublicKey => _publicKey;

    public override void Sign(ReadOnlySpan<byte> data, Span<byte> signature)
    {
        ThrowIfDisposed();
        Ed25519.SignWithExpandedKey(_secretKey, data, signature);
    }

    public override void ExportPrivateKey(Span<byte> destination)
    {
        ThrowIfDisposed();
        _secretKey.AsSpan(0, Ed25519.SeedSize).CopyTo(destination);
    }

    protected override void Dispose(bool disposing) => CryptographicOperations.ZeroMemory(_secretKey);
}

/// <summary>A P-256 private key backed by the base library's <see cref="ECDsa"/>; signatures are normalised to low-S.</summary>
internal sealed class Es256SigningKey : SigningKey
{
    private readonly ECDsa _ecdsa;
    private readonly Es256VerificationKey _publicKey;

    private Es256SigningKey(ECDsa ecdsa)
    {
        _ecdsa = ecdsa;
        var parameters = ecdsa.ExportParameters(false);
        _publicKey = new Es256VerificationKey(parameters.Q.X, parameters.Q.Y);
    }

    internal Es256SigningKey(ReadOnlySpan<byte> d) : this(ImportScalar(d))
    {
    }

    internal static Es256SigningKey Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    public override SignatureAlgorithm Algorithm => SignatureAlgorithm.ES256;

    public override VerificationKey PublicKey => _publicKey;

    public override void Sign(ReadOnlySpan<byte> data, Span<byte> signature)
    {
        ThrowIfDisposed();
        if (signature.Length < SignatureSize)
        {
            throw new ArgumentException("The destination must hold 64 bytes.", nameof(signature));
        }

        if (!_ecdsa.TrySignData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation, out var written) || written != SignatureSize)
        {
            throw new CryptographicException("ECDSA signing failed.");
        }

        EcdsaP256.NormalizeToLowS(signature[..SignatureSize]);
    }

    public override void ExportPrivateKey(Span<byte> destination)
    {
        ThrowIfDisposed();
        var parameters = _ecdsa.ExportParameters(true);
        try
        {
            parameters.D.AsSpan().CopyTo(destination);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parameters.D);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _ecdsa.Dispose();
        }
    }

    private static ECDsa ImportScalar(ReadOnlySpan<byte> d)
    {
        if (d.Length != PrivateKeySize)
        {
            throw new CryptographicException("A P-256 private scalar is 32 bytes.");
        }

        var copy = d.ToArray();
        try
        {
            var ecdsa = ECDsa.Create();
            ecdsa.ImportParameters(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = copy });
            return ecdsa;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(copy);
        }
    }
}
