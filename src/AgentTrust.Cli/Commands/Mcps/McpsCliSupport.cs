using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Cli.Commands.Keys;
using AgentTrust.Cryptography;
using AgentTrust.Keys;
using AgentTrust.KeyStore;
using AgentTrust.Mcps.Passports;

namespace AgentTrust.Cli.Commands.Mcps;

/// <summary>Shared plumbing of the MCPS commands: keys (files or key-store names), passports, stdin, JSON output.</summary>
internal static class McpsCliSupport
{
    public const string KeyHelp = "Signing key: a PEM (PKCS#8 or SEC1) or JWK file, or the name of a key in the key store (agenttrust key new). Encrypted keys read AGENTTRUST_PASSPHRASE.";
    public const string BadInput = "AT-MCPS-INPUT";
    private const int MaxInputBytes = 64 * 1024 * 1024;

    private static readonly JsonWriterOptions Pretty = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Option<bool> JsonOption() => new("--json") { Description = "Write the result as JSON." };

    /// <summary>Opens an ES256 signing key from a file or the key store.</summary>
    public static async Task<SigningKey> OpenSigningKeyAsync(CliContext context, string reference, CancellationToken cancellationToken)
    {
        SigningKey key;
        if (File.Exists(reference))
        {
            var bytes = await ReadFileAsync(reference, KeyImport.MaxInputBytes, cancellationToken).ConfigureAwait(false);
            try
            {
                using var imported = KeyImport.Import(bytes, () => Passphrase.ForExisting(context, reference));
                if (imported.SigningKey is null)
                {
                    throw CliFailure.Rejected(KeyErrors.BadKey, $"'{reference}' holds no private key.");
                }

                Span<byte> d = stackalloc byte[SigningKey.PrivateKeySize];
                try
                {
                    imported.SigningKey.ExportPrivateKey(d);
                    key = SigningKey.Import(imported.SigningKey.Algorithm, d);
                }
                finally
                {
                    System.Security.Cryptography.CryptographicOperations.ZeroMemory(d);
                }
            }
            catch (KeyFormatException e)
            {
                throw KeyErrors.FromFormat(e.Error, e.Message);
            }
            finally
            {
                Array.Clear(bytes);
            }
        }
        else if (KeyNames.IsValid(reference))
        {
            try
            {
                key = await new FileKeyStore(FileKeyStore.DefaultDirectory(context.HomeDirectory), context.Time)
                    .OpenAsync(reference, () => Passphrase.ForExisting(context, $"key '{reference}'"), cancellationToken).ConfigureAwait(false);
            }
            catch (KeyStoreException e)
            {
                throw KeyErrors.FromStore(e);
            }
        }
        else
        {
            throw CliFailure.Environment(KeyErrors.FileNotFound, $"'{reference}' is neither a key file nor a key-store name.");
        }

        if (key.Algorithm != SignatureAlgorithm.ES256)
        {
            key.Dispose();
            throw CliFailure.Rejected(KeyErrors.Unsupported, "MCPS signatures are ES256 (P-256): this key is Ed25519.");
        }

        return key;
    }

    /// <summary>Reads a public key (PEM SPKI or JWK, or a private key file whose public half is used).</summary>
    public static async Task<VerificationKey> ReadPublicKeyAsync(CliContext context, string path, CancellationToken cancellationToken)
    {
        var bytes = await ReadFileAsync(path, KeyImport.MaxInputBytes, cancellationToken).ConfigureAwait(false);
        try
        {
            using var imported = KeyImport.Import(bytes, () => Passphrase.ForExisting(context, path));
            return imported.PublicKey;
        }
        catch (KeyFormatException e)
        {
            throw KeyErrors.FromFormat(e.Error, e.Message);
        }
    }

    /// <summary>Parses <c>NAME=KEYFILE</c> anchors into a trust store.</summary>
    public static async Task<PassportTrustStore> ReadAnchorsAsync(CliContext context, IEnumerable<string>? anchors, CancellationToken cancellationToken)
    {
        var store = new PassportTrustStore();
        foreach (var anchor in anchors ?? [])
        {
            var separator = anchor.IndexOf('=', StringComparison.Ordinal);
            if (separator <= 0 || separator == anchor.Length - 1)
            {
                throw CliFailure.Usage($"--anchor takes NAME=PUBLIC_KEY_FILE, got '{anchor}'.");
            }

            var maxLevel = 4;
            var name = anchor[..separator];
            var at = name.IndexOf('@', StringComparison.Ordinal);
            if (at > 0 && int.TryParse(name[(at + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                maxLevel = parsed;
                name = name[..at];
            }

            try
            {
                store.Add(name, await ReadPublicKeyAsync(context, anchor[(separator + 1)..], cancellationToken).ConfigureAwait(false), maxLevel);
            }
            catch (ArgumentException e)
            {
                throw CliFailure.Usage($"--anchor '{anchor}': {e.Message}");
            }
        }

        return store;
    }

    /// <summary>Reads and parses a passport file (structure only).</summary>
    public static async Task<(AgentPassport Passport, byte[] Json)> ReadPassportAsync(string path, CancellationToken cancellationToken)
    {
        var bytes = await ReadFileAsync(path, AgentPassport.MaxBytes + 4096, cancellationToken).ConfigureAwait(false);
        if (!AgentPassport.TryParse(bytes, out var passport, out var failure))
        {
            throw CliFailure.Rejected(failure!.Code.ToCodeStringSafe(), $"'{path}' is not a valid passport ({failure.Reason}).");
        }

        return (passport!, bytes);
    }

    public static async Task<byte[]> ReadFileAsync(string path, int maxBytes, CancellationToken cancellationToken)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw CliFailure.Environment(KeyErrors.FileNotFound, $"File '{path}' does not exist.");
            }

            if (info.Length > maxBytes)
            {
                throw CliFailure.Rejected(BadInput, $"File '{path}' is larger than {maxBytes} bytes.");
            }

            return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliFailure.Environment("AT-IO", $"Cannot read '{path}': {e.Message}");
        }
    }

    public static async Task<byte[]> ReadStdinAsync(CliContext context, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await context.StandardInput.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxInputBytes)
            {
                throw CliFailure.Rejected("MCPS-016", "Standard input exceeds 64 MiB.");
            }

            buffer.Write(chunk, 0, read);
        }

        var bytes = buffer.ToArray();
        var length = bytes.Length;
        while (length > 0 && bytes[length - 1] is (byte)'\n' or (byte)'\r' or (byte)' ' or (byte)'\t')
        {
            length--;
        }

        return bytes[..length];
    }

    public static async Task WriteFileAtomicAsync(string path, byte[] content, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        var temporary = full + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await File.WriteAllBytesAsync(temporary, content, cancellationToken).ConfigureAwait(false);
        File.Move(temporary, full, overwrite: true);
    }

    public static async Task WriteJsonAsync(CliContext context, JsonNode node)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, Pretty))
        {
            node.WriteTo(writer);
        }

        await context.Out.WriteLineAsync(System.Text.Encoding.UTF8.GetString(stream.ToArray())).ConfigureAwait(false);
    }

    public static DateTimeOffset ParseNow(string? now)
    {
        if (now is null)
        {
            return default;
        }

        if (global::AgentTrust.Mcps.McpsTimestamp.TryParse(now, out var instant))
        {
            return instant;
        }

        throw CliFailure.Usage($"--now takes an RFC 3339 UTC timestamp such as 2026-01-15T12:00:30.000Z, got '{now}'.");
    }

    private static string ToCodeStringSafe(this global::AgentTrust.Errors.McpsCode code) => global::AgentTrust.Errors.McpsCodes.ToCodeString(code);
}

/// <summary>A clock fixed at one instant (<c>--now</c>).</summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
