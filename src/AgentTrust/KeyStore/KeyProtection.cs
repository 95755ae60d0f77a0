namespace AgentTrust.KeyStore;

/// <summary>How a stored private key is protected: encrypted with a passphrase, or (only when asked for) not at all.</summary>
public sealed class KeyProtection
{
    private KeyProtection(string? passphrase) => Passphrase = passphrase;

    /// <summary>No encryption: the private key is written in clear. Use only when the user explicitly asked for it.</summary>
    public static KeyProtection Unencrypted { get; } = new(null);

    /// <summary>The passphrase, or null for <see cref="Unencrypted"/>.</summary>
    internal string? Passphrase { get; }

    /// <summary>Encrypts with Argon2id (m = 64 MiB, t = 3, p = 1) and XChaCha20-Poly1305 under <paramref name="passphrase"/>.</summary>
    /// <exception cref="ArgumentException">The passphrase is empty.</exception>
    public static KeyProtection WithPassphrase(string passphrase)
    {
        ArgumentException.ThrowIfNullOrEmpty(passphrase);
        return new KeyProtection(passphrase);
    }

    /// <inheritdoc />
    public override string ToString() => Passphrase is null ? "unencrypted" : "passphrase";
}
