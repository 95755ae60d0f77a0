using System.Buffers;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Keys;

namespace AgentTrust.KeyStore;

/// <summary>
/// Signet key files (<c>.key</c>, <c>.pub</c>), byte-compatible with Signet v0.10.0: Argon2id (m = 65536 KiB, t = 3,
/// p = 1, 16-byte salt) and XChaCha20-Poly1305 with the JCS of the file's metadata as associated data. AgentTrust
/// extension: algorithm label <c>es256</c>, whose plaintext is the 32-byte P-256 scalar and whose <c>.pub</c> key is
/// the bare base64 of the 65-byte uncompressed point. Reading checks every label, size and cost bound before any work.
/// </summary>
public static class SignetKeyFile
{
    /// <summary>Largest key file read, in bytes.</summary>
    public const int MaxFileBytes = 16 * 1024;

    /// <summary>The Argon2id time cost AgentTrust writes.</summary>
    public const int DefaultIterations = 3;

    /// <summary>The Argon2id memory cost AgentTrust writes, in KiB (64 MiB).</summary>
    public const int DefaultMemoryKiB = 65536;

    /// <summary>The label of Ed25519 keys.</summary>
    public const string Ed25519Label = "ed25519";

    /// <summary>The label of P-256 keys (AgentTrust extension).</summary>
    public const string Es256Label = "es256";

    private const string KdfLabel = "argon2id";
    private const string CipherLabel = "xchacha20poly1305";
    private const int CiphertextSize = SigningKey.PrivateKeySize + XChaCha20Poly1305.TagSize;

    private static readonly JsonWriterOptions PrettyOptions = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NewLine = "\n",
    };

    private static readonly string[] EncryptedMembers = ["v", "algorithm", "name", "kdf", "kdf_params", "salt", "cipher", "nonce", "ciphertext"];
    private static readonly string[] PlainMembers = ["v", "algorithm", "name", "seed"];
    private static readonly string[] PublicMembers = ["v", "algorithm", "name", "pubkey", "owner", "created_at"];

    /// <summary>The file label of <paramref name="algorithm"/>: <c>ed25519</c> or <c>es256</c>.</summary>
    public static string LabelOf(SignatureAlgorithm algorithm) => algorithm switch
    {
        SignatureAlgorithm.EdDSA => Ed25519Label,
        SignatureAlgorithm.ES256 => Es256Label,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>
    /// The associated data of an encrypted key file: the JCS text of
    /// <c>{"v":1,"algorithm":…,"name":…,"kdf":"argon2id","kdf_params":{"m":…,"p":…,"t":…},"cipher":"xchacha20poly1305"}</c>.
    /// The object is fixed; <paramref name="name"/> must be a valid key name (no JSON escaping can occur).
    /// </summary>
    public static byte[] BuildAssociatedData(string algorithmLabel, string name, int iterations, int memoryKiB, int parallelism)
    {
        if (algorithmLabel is not (Ed25519Label or Es256Label))
        {
            throw new ArgumentException("Unknown algorithm label.", nameof(algorithmLabel));
        }

        if (!KeyNames.IsValid(name))
        {
            throw new ArgumentException("Invalid key name.", nameof(name));
        }

        // Members in JCS order (UTF-16 code unit order): algorithm, cipher, kdf, kdf_params{m,p,t}, name, v.
        var text = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{{\"algorithm\":\"{algorithmLabel}\",\"cipher\":\"{CipherLabel}\",\"kdf\":\"{KdfLabel}\",\"kdf_params\":{{\"m\":{memoryKiB},\"p\":{parallelism},\"t\":{iterations}}},\"name\":\"{name}\",\"v\":1}}");
        return System.Text.Encoding.UTF8.GetBytes(text);
    }

    /// <summary>Writes an encrypted <c>.key</c> file for <paramref name="key"/> with fresh random salt and nonce.</summary>
    public static byte[] WriteEncrypted(SigningKey key, string name, ReadOnlySpan<char> passphrase)
    {
        Span<byte> salt = stackalloc byte[Argon2id.SaltSize];
        Span<byte> nonce = stackalloc byte[XChaCha20Poly1305.NonceSize];
        RandomNumberGenerator.Fill(salt);
        RandomNumberGenerator.Fill(nonce);
        return WriteEncrypted(key, name, passphrase, salt, nonce, DefaultIterations, DefaultMemoryKiB);
    }

    /// <summary>Writes an encrypted <c>.key</c> file with the given salt, nonce and costs (tests and vectors only: reuse of a nonce is fatal).</summary>
    internal static byte[] WriteEncrypted(SigningKey key, string name, ReadOnlySpan<char> passphrase, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> nonce, int iterations, int memoryKiB)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (passphrase.IsEmpty)
        {
            throw new ArgumentException("The passphrase is empty.", nameof(passphrase));
        }

        var label = LabelOf(key.Algorithm);
        var associatedData = BuildAssociatedData(label, name, iterations, memoryKiB, 1);
        var secret = GC.AllocateArray<byte>(SigningKey.PrivateKeySize, pinned: true);
        var derived = GC.AllocateArray<byte>(XChaCha20Poly1305.KeySize, pinned: true);
        var password = EncodePassphrase(passphrase);
        var ciphertext = new byte[CiphertextSize];
        try
        {
            key.ExportPrivateKey(secret);
            Argon2id.DeriveKey(password, salt, iterations, memoryKiB, 1, derived);
            XChaCha20Poly1305.Encrypt(derived, nonce, secret, associatedData, ciphertext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
            CryptographicOperations.ZeroMemory(derived);
            CryptographicOperations.ZeroMemory(password);
        }

        var saltText = StrictBase64.Encode(salt);
        var nonceText = StrictBase64.Encode(nonce);
        return WritePretty(writer =>
        {
            writer.WriteNumber("v", 1);
            writer.WriteString("algorithm", label);
            writer.WriteString("name", name);
            writer.WriteString("kdf", KdfLabel);
            writer.WriteStartObject("kdf_params");
            writer.WriteNumber("t", iterations);
            writer.WriteNumber("m", memoryKiB);
            writer.WriteNumber("p", 1);
            writer.WriteEndObject();
            writer.WriteString("salt", saltText);
            writer.WriteString("cipher", CipherLabel);
            writer.WriteString("nonce", nonceText);
            writer.WriteString("ciphertext", StrictBase64.Encode(ciphertext));
        });
    }

    /// <summary>Writes an unencrypted <c>.key</c> file (the private key in clear: only when the user asked for it).</summary>
    public static byte[] WriteUnencrypted(SigningKey key, string name)
    {
        ArgumentNullException.ThrowIfNull(key);
        CheckName(name);
        var secret = GC.AllocateArray<byte>(SigningKey.PrivateKeySize, pinned: true);
        try
        {
            key.ExportPrivateKey(secret);
            var label = LabelOf(key.Algorithm);
            return WritePretty(writer =>
            {
                writer.WriteNumber("v", 1);
                writer.WriteString("algorithm", label);
                writer.WriteString("name", name);
                writer.WriteString("seed", StrictBase64.Encode(secret));
            });
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>Writes a <c>.pub</c> file; <c>created_at</c> in Signet's form (nanoseconds, <c>+00:00</c>).</summary>
    public static byte[] WritePublic(VerificationKey key, string name, DateTimeOffset createdAt, string? owner = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        CheckName(name);
        return WritePretty(writer =>
        {
            writer.WriteNumber("v", 1);
            writer.WriteString("algorithm", LabelOf(key.Algorithm));
            writer.WriteString("name", name);
            writer.WriteString("pubkey", StrictBase64.Encode(key.RawPublicKey.Span));
            if (owner is not null)
            {
                writer.WriteString("owner", owner);
            }

            writer.WriteString("created_at", FormatCreatedAt(createdAt));
        });
    }

    /// <summary>Formats a time as Signet's <c>created_at</c>: UTC, nine fractional digits, <c>+00:00</c>.</summary>
    public static string FormatCreatedAt(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        var nanoseconds = (utc.Ticks % TimeSpan.TicksPerSecond) * 100;
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{utc:yyyy'-'MM'-'dd'T'HH':'mm':'ss}.{nanoseconds:D9}+00:00");
    }

    /// <summary>True when <paramref name="utf8Json"/> is a <c>.key</c> file that needs a passphrase (it has <c>kdf</c>).</summary>
    public static bool IsEncrypted(ReadOnlySpan<byte> utf8Json)
    {
        using var document = Parse(utf8Json);
        return document.RootElement.TryGetProperty("kdf", out _);
    }

    /// <summary>
    /// Reads a <c>.key</c> file, plain or encrypted (told apart by <c>kdf</c>). <paramref name="passphrase"/> is asked
    /// only for an encrypted file. When <paramref name="expectedName"/> is given the file's <c>name</c> must equal it.
    /// </summary>
    /// <exception cref="KeyFormatException">
    /// Malformed file, unaccepted labels or costs, <see cref="KeyFormatError.PassphraseRequired"/>, or
    /// <see cref="KeyFormatError.DecryptionFailed"/> (wrong passphrase and tampering look the same).
    /// </exception>
    public static SigningKey ReadPrivate(ReadOnlySpan<byte> utf8Json, Func<string?>? passphrase, string? expectedName, out string name)
    {
        using var document = Parse(utf8Json);
        var root = document.RootElement;
        var encrypted = root.TryGetProperty("kdf", out _);
        CheckMembers(root, encrypted ? EncryptedMembers : PlainMembers, optional: []);
        CheckVersion(root);
        var algorithm = ReadAlgorithm(root);
        name = ReadName(root, expectedName);

        if (!encrypted)
        {
            if (!StrictBase64.TryDecode(GetString(root, "seed"), SigningKey.PrivateKeySize, out var seed))
            {
                throw Malformed("'seed' must be canonical base64 of 32 bytes");
            }

            try
            {
                return ImportPrivate(algorithm, seed);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(seed);
            }
        }

        if (GetString(root, "kdf") != KdfLabel || GetString(root, "cipher") != CipherLabel)
        {
            throw new KeyFormatException(KeyFormatError.UnsupportedParameters, $"Only kdf '{KdfLabel}' and cipher '{CipherLabel}' are accepted.");
        }

        var (iterations, memoryKiB, parallelism) = ReadKdfParameters(root);
        if (!StrictBase64.TryDecode(GetString(root, "salt"), Argon2id.SaltSize, out var salt)
            || !StrictBase64.TryDecode(GetString(root, "nonce"), XChaCha20Poly1305.NonceSize, out var nonce)
            || !StrictBase64.TryDecode(GetString(root, "ciphertext"), CiphertextSize, out var ciphertext))
        {
            throw Malformed("'salt', 'nonce' and 'ciphertext' must be canonical base64 of 16, 24 and 48 bytes");
        }

        var text = passphrase?.Invoke();
        if (string.IsNullOrEmpty(text))
        {
            throw new KeyFormatException(KeyFormatError.PassphraseRequired, $"Key '{name}' is encrypted and no passphrase was given.");
        }

        var associatedData = BuildAssociatedData(LabelOf(algorithm), name, iterations, memoryKiB, parallelism);
        var password = EncodePassphrase(text);
        var derived = GC.AllocateArray<byte>(XChaCha20Poly1305.KeySize, pinned: true);
        var secret = GC.AllocateArray<byte>(SigningKey.PrivateKeySize, pinned: true);
        try
        {
            Argon2id.DeriveKey(password, salt, iterations, memoryKiB, parallelism, derived);
            if (!XChaCha20Poly1305.TryDecrypt(derived, nonce, ciphertext, associatedData, secret))
            {
                throw new KeyFormatException(KeyFormatError.DecryptionFailed, $"Key '{name}' could not be decrypted: wrong passphrase or the file was modified.");
            }

            return ImportPrivate(algorithm, secret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
            CryptographicOperations.ZeroMemory(derived);
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>Reads a <c>.pub</c> file.</summary>
    /// <exception cref="KeyFormatException">The file is malformed, its key invalid, or its name not <paramref name="expectedName"/>.</exception>
    public static PublicKeyFile ReadPublic(ReadOnlySpan<byte> utf8Json, string? expectedName = null)
    {
        using var document = Parse(utf8Json);
        var root = document.RootElement;
        CheckMembers(root, PublicMembers, optional: ["owner"]);
        CheckVersion(root);
        var algorithm = ReadAlgorithm(root);
        var name = ReadName(root, expectedName);
        var expectedLength = algorithm == SignatureAlgorithm.EdDSA ? Ed25519.PublicKeySize : 65;
        if (!StrictBase64.TryDecode(GetString(root, "pubkey"), expectedLength, out var raw))
        {
            throw Malformed($"'pubkey' must be bare canonical base64 of {expectedLength} bytes");
        }

        VerificationKey key;
        try
        {
            key = algorithm == SignatureAlgorithm.EdDSA ? VerificationKey.ImportEd25519(raw) : VerificationKey.ImportP256Uncompressed(raw);
        }
        catch (CryptographicException)
        {
            throw new KeyFormatException(KeyFormatError.InvalidKey, "The public key is not a valid point.");
        }

        var createdAt = GetString(root, "created_at");
        if (string.IsNullOrEmpty(createdAt))
        {
            throw Malformed("'created_at' must be a non-empty string");
        }

        var owner = root.TryGetProperty("owner", out _) ? GetString(root, "owner") : null;
        return new PublicKeyFile(name, key, createdAt, owner);
    }

    private static SigningKey ImportPrivate(SignatureAlgorithm algorithm, ReadOnlySpan<byte> secret)
    {
        try
        {
            return SigningKey.Import(algorithm, secret);
        }
        catch (CryptographicException)
        {
            throw new KeyFormatException(KeyFormatError.InvalidKey, "The private key is not valid for its algorithm.");
        }
    }

    private static (int Iterations, int MemoryKiB, int Parallelism) ReadKdfParameters(JsonElement root)
    {
        if (!root.TryGetProperty("kdf_params", out var parameters) || parameters.ValueKind != JsonValueKind.Object)
        {
            throw Malformed("'kdf_params' must be an object");
        }

        CheckMembers(parameters, ["t", "m", "p"], optional: []);
        if (!parameters.GetProperty("t").TryGetInt32(out var t) || !parameters.GetProperty("m").TryGetInt32(out var m) || !parameters.GetProperty("p").TryGetInt32(out var p))
        {
            throw new KeyFormatException(KeyFormatError.UnsupportedParameters, "'kdf_params' t, m and p must be integers.");
        }

        if (p != 1)
        {
            throw new KeyFormatException(KeyFormatError.UnsupportedParameters, "Argon2id parallelism p must be 1 (libsodium computes only p = 1).");
        }

        if (t is < Argon2id.MinIterations or > Argon2id.MaxIterations || m is < Argon2id.MinMemoryKiB or > Argon2id.MaxMemoryKiB)
        {
            throw new KeyFormatException(KeyFormatError.UnsupportedParameters, $"Argon2id cost out of bounds: t must be {Argon2id.MinIterations}..{Argon2id.MaxIterations}, m {Argon2id.MinMemoryKiB}..{Argon2id.MaxMemoryKiB} KiB.");
        }

        return (t, m, p);
    }

    private static SignatureAlgorithm ReadAlgorithm(JsonElement root) => GetString(root, "algorithm") switch
    {
        Ed25519Label => SignatureAlgorithm.EdDSA,
        Es256Label => SignatureAlgorithm.ES256,
        var other => throw new KeyFormatException(KeyFormatError.UnsupportedAlgorithm, $"Key file algorithm '{other}' is not accepted (only '{Ed25519Label}' and '{Es256Label}')."),
    };

    private static string ReadName(JsonElement root, string? expectedName)
    {
        var name = GetString(root, "name");
        if (!KeyNames.IsValid(name))
        {
            throw Malformed("'name' must match ^[a-zA-Z0-9_-]+$");
        }

        if (expectedName is not null && !string.Equals(name, expectedName, StringComparison.Ordinal))
        {
            throw new KeyFormatException(KeyFormatError.NameMismatch, $"The key file's name '{name}' does not match its file name '{expectedName}'.");
        }

        return name!;
    }

    private static void CheckVersion(JsonElement root)
    {
        if (!root.TryGetProperty("v", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var version) || version != 1)
        {
            throw new KeyFormatException(KeyFormatError.UnsupportedParameters, "Only key file version 1 is accepted.");
        }
    }

    private static void CheckMembers(JsonElement element, string[] allowed, string[] optional)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (Array.IndexOf(allowed, property.Name) < 0)
            {
                throw Malformed($"unknown member '{property.Name}'");
            }
        }

        foreach (var member in allowed)
        {
            if (Array.IndexOf(optional, member) < 0 && !element.TryGetProperty(member, out _))
            {
                throw Malformed($"member '{member}' is missing");
            }
        }
    }

    private static string? GetString(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw Malformed($"member '{name}' must be a string");
        }

        return value.GetString();
    }

    private static JsonDocument Parse(ReadOnlySpan<byte> utf8Json)
    {
        if (utf8Json.IsEmpty || utf8Json.Length > MaxFileBytes)
        {
            throw new KeyFormatException(KeyFormatError.Empty, $"A key file is 1..{MaxFileBytes} bytes.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json.ToArray(), new JsonDocumentOptions { MaxDepth = 4, AllowDuplicateProperties = false });
        }
        catch (JsonException)
        {
            throw Malformed("not valid JSON, or a member name repeats");
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw Malformed("a key file is a JSON object");
        }

        return document;
    }

    private static byte[] WritePretty(Action<Utf8JsonWriter> members)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, PrettyOptions))
        {
            writer.WriteStartObject();
            members(writer);
            writer.WriteEndObject();
        }

        var result = new byte[buffer.WrittenCount + 1];
        buffer.WrittenSpan.CopyTo(result);
        result[^1] = (byte)'\n';
        buffer.ResetWrittenCount();
        return result;
    }

    private static byte[] EncodePassphrase(ReadOnlySpan<char> passphrase)
    {
        var bytes = GC.AllocateArray<byte>(System.Text.Encoding.UTF8.GetByteCount(passphrase), pinned: true);
        System.Text.Encoding.UTF8.GetBytes(passphrase, bytes);
        return bytes;
    }

    private static void CheckName(string name)
    {
        if (!KeyNames.IsValid(name))
        {
            throw new ArgumentException("A key name matches ^[a-zA-Z0-9_-]+$ (at most 64 characters).", nameof(name));
        }
    }

    private static KeyFormatException Malformed(string what) => new(KeyFormatError.Malformed, $"Malformed key file: {what}.");
}
