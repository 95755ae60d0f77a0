using AgentTrust.Cli.Commands.Keys;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.KeyStore;
using AgentTrust.Receipts;

namespace AgentTrust.Cli.Commands.Receipts;

/// <summary>Opens Ed25519 keys from the key store for the receipt and audit commands.</summary>
internal static class ReceiptKeys
{
    /// <summary>Opens the private key <paramref name="name"/> and its owner; the caller disposes the key.</summary>
    public static async Task<(SigningKey Key, string Owner)> OpenSigningKeyAsync(CliContext context, string name, CancellationToken cancellationToken)
    {
        if (!KeyNames.IsValid(name))
        {
            throw CliFailure.Usage($"'{name}' is not a valid key name (letters, digits, '_' and '-').");
        }

        var store = new FileKeyStore(FileKeyStore.DefaultDirectory(context.HomeDirectory), context.Time);
        try
        {
            var stored = await store.GetAsync(name, cancellationToken).ConfigureAwait(false);
            if (stored.Algorithm != SignatureAlgorithm.EdDSA)
            {
                throw CliFailure.Rejected(KeyErrors.Unsupported, $"Key '{name}' is {stored.Algorithm.ToIdentifier()}; receipts are signed with Ed25519 keys.");
            }

            var key = await store.OpenAsync(name, () => Passphrase.ForExisting(context, $"key '{name}'"), cancellationToken).ConfigureAwait(false);
            return (key, stored.Owner ?? "");
        }
        catch (KeyStoreException e)
        {
            throw KeyErrors.FromStore(e);
        }
    }

    /// <summary>
    /// Resolves <c>--pubkey</c>: an <c>ed25519:</c> string, a file (a Signet <c>.pub</c>, or a file holding an
    /// <c>ed25519:</c> string), or a key name in the store. Returns the <c>ed25519:…</c> form.
    /// </summary>
    public static async Task<string> ResolvePublicKeyAsync(CliContext context, string value, CancellationToken cancellationToken)
    {
        if (value.StartsWith(ReceiptEncoding.Ed25519Prefix, StringComparison.Ordinal))
        {
            return ReceiptEncoding.TryParsePublicKey(value, out _) ? value : throw CliFailure.Usage("--pubkey: not a canonical ed25519: base64 key of 32 bytes.");
        }

        if (File.Exists(value))
        {
            var bytes = await File.ReadAllBytesAsync(value, cancellationToken).ConfigureAwait(false);
            var text = System.Text.Encoding.UTF8.GetString(bytes).Trim();
            if (ReceiptEncoding.TryParsePublicKey(text, out _))
            {
                return text;
            }

            try
            {
                var pub = SignetKeyFile.ReadPublic(bytes, expectedName: null);
                if (pub.Key.Algorithm == SignatureAlgorithm.EdDSA)
                {
                    return ReceiptEncoding.FormatPublicKey(pub.Key);
                }
            }
            catch (AgentTrust.Keys.KeyFormatException)
            {
            }

            if (StrictBase64.TryDecode(text, Ed25519.PublicKeySize, out _))
            {
                return ReceiptEncoding.Ed25519Prefix + text;
            }

            throw CliFailure.Rejected(KeyErrors.BadKey, $"File '{value}' holds no Ed25519 public key.");
        }

        if (KeyNames.IsValid(value))
        {
            var store = new FileKeyStore(FileKeyStore.DefaultDirectory(context.HomeDirectory), context.Time);
            try
            {
                var stored = await store.GetAsync(value, cancellationToken).ConfigureAwait(false);
                if (stored.Algorithm == SignatureAlgorithm.EdDSA)
                {
                    return ReceiptEncoding.FormatPublicKey(stored.PublicKey);
                }

                throw CliFailure.Rejected(KeyErrors.Unsupported, $"Key '{value}' is not an Ed25519 key.");
            }
            catch (KeyStoreException e)
            {
                throw KeyErrors.FromStore(e);
            }
        }

        throw CliFailure.Usage("--pubkey: expected a key name, a file, or an ed25519: base64 string.");
    }

    /// <summary>The default audit directory: <c>&lt;AGENTTRUST_HOME or ~/.agenttrust&gt;/audit</c>.</summary>
    public static string DefaultAuditDirectory(CliContext context) => Path.Combine(context.HomeDirectory, "audit");
}
