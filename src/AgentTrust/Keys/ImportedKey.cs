using AgentTrust.Cryptography;

namespace AgentTrust.Keys;

/// <summary>A key read by <see cref="KeyImport"/>: always a public key, and the private key when the input held one. Dispose to zero it.</summary>
public sealed class ImportedKey : IDisposable
{
    internal ImportedKey(KeyFormat format, VerificationKey publicKey, SigningKey? signingKey, string? name)
    {
        Format = format;
        PublicKey = publicKey;
        SigningKey = signingKey;
        Name = name;
    }

    /// <summary>The format the key was read from.</summary>
    public KeyFormat Format { get; }

    /// <summary>The public key.</summary>
    public VerificationKey PublicKey { get; }

    /// <summary>The private key, when the input held one; owned by this object.</summary>
    public SigningKey? SigningKey { get; }

    /// <summary>True when the input held a private key.</summary>
    public bool HasPrivateKey => SigningKey is not null;

    /// <summary>The name inside a Signet key file, when the input was one.</summary>
    public string? Name { get; }

    /// <summary>Zeroes the private key, if any.</summary>
    public void Dispose() => SigningKey?.Dispose();
}
