using AgentTrust.Cryptography;
using AgentTrust.KeyStore;
using AgentTrust.Mcps.Passports;

namespace AgentTrust.Gateway.Identity;

/// <summary>
/// One side's identity in the gateway: the ES256 key and passport that sign MCPS envelopes, and the Ed25519 key that
/// signs receipts (Signet receipts are Ed25519 only). Keys live in the key store under <c>NAME</c> and
/// <c>NAME-receipts</c>; both and a self-issued passport are created on first use.
/// </summary>
public sealed class GatewayIdentity : IDisposable
{
    private GatewayIdentity(string name, SigningKey messageKey, SigningKey receiptKey, AgentPassport passport)
    {
        Name = name;
        MessageKey = messageKey;
        ReceiptKey = receiptKey;
        Passport = passport;
    }

    /// <summary>The key name (also the receipt signer name).</summary>
    public string Name { get; }

    /// <summary>The ES256 key of the passport.</summary>
    public SigningKey MessageKey { get; }

    /// <summary>The Ed25519 receipt key.</summary>
    public SigningKey ReceiptKey { get; }

    /// <summary>The passport (embedded in signed messages).</summary>
    public AgentPassport Passport { get; }

    /// <summary>Loads the identity, creating the keys (unencrypted unless a passphrase is given) and a self-issued passport when missing.</summary>
    /// <param name="keyStore">The key store.</param>
    /// <param name="name">The key name.</param>
    /// <param name="passportPath">The passport file; created self-issued when absent.</param>
    /// <param name="passphrase">Supplies the passphrase of encrypted keys (and protects new ones when it returns one).</param>
    /// <param name="time">The clock.</param>
    /// <param name="cancellationToken">Cancels the file work.</param>
    /// <exception cref="InvalidDataException">The passport file is invalid or names another key.</exception>
    public static async Task<GatewayIdentity> LoadOrCreateAsync(FileKeyStore keyStore, string name, string passportPath, Func<string?> passphrase, TimeProvider time, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keyStore);
        ArgumentNullException.ThrowIfNull(passphrase);
        var messageKey = await OpenOrCreateAsync(keyStore, name, SignatureAlgorithm.ES256, passphrase, cancellationToken).ConfigureAwait(false);
        var receiptKey = await OpenOrCreateAsync(keyStore, name + "-receipts", SignatureAlgorithm.EdDSA, passphrase, cancellationToken).ConfigureAwait(false);
        try
        {
            AgentPassport passport;
            if (File.Exists(passportPath))
            {
                if (!AgentPassport.TryParse(await File.ReadAllBytesAsync(passportPath, cancellationToken).ConfigureAwait(false), out var parsed, out var failure))
                {
                    throw new InvalidDataException($"the passport file is not a valid passport ({failure})");
                }

                passport = parsed!;
                if (!passport.PublicKey.Equals(messageKey.PublicKey))
                {
                    throw new InvalidDataException($"the passport file names another key than '{name}'");
                }
            }
            else
            {
                passport = PassportIssuer.CreateSelfIssued(new PassportRequest { PublicKey = messageKey.PublicKey, AgentName = name }, messageKey, time);
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(passportPath))!);
                await File.WriteAllBytesAsync(passportPath, passport.ToCanonicalJson(), cancellationToken).ConfigureAwait(false);
            }

            return new GatewayIdentity(name, messageKey, receiptKey, passport);
        }
        catch
        {
            messageKey.Dispose();
            receiptKey.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        MessageKey.Dispose();
        ReceiptKey.Dispose();
    }

    private static async Task<SigningKey> OpenOrCreateAsync(FileKeyStore store, string name, SignatureAlgorithm algorithm, Func<string?> passphrase, CancellationToken cancellationToken)
    {
        if (!File.Exists(store.PrivatePath(name)))
        {
            var secret = passphrase();
            var protection = string.IsNullOrEmpty(secret) ? KeyProtection.Unencrypted : KeyProtection.WithPassphrase(secret);
            await store.CreateAsync(algorithm, name, protection, null, cancellationToken).ConfigureAwait(false);
        }

        var key = await store.OpenAsync(name, passphrase, cancellationToken).ConfigureAwait(false);
        if (key.Algorithm != algorithm)
        {
            key.Dispose();
            throw new InvalidDataException($"key '{name}' is not {algorithm}");
        }

        return key;
    }
}
