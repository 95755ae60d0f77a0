using System.Security.Cryptography;
using System.Text.Json;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.KeyStore;

namespace AgentTrust.Keys;

/// <summary>
/// Reads a key in any accepted format, detected from its content: PEM (SPKI, PKCS#8, SEC1), JWK (public or with
/// <c>d</c>), Signet <c>.key</c> (plain or encrypted) and <c>.pub</c> files, and <c>ed25519:&lt;base64&gt;</c>. Anything else
/// is refused with a typed <see cref="KeyFormatError"/>; messages never contain key material.
/// </summary>
public static class KeyImport
{
    /// <summary>Largest input read, in bytes.</summary>
    public const int MaxInputBytes = 16 * 1024;

    private const string Ed25519Prefix = "ed25519:";

    /// <summary>Reads a key; <paramref name="passphrase"/> is asked only for an encrypted Signet key file.</summary>
    /// <exception cref="KeyFormatException">The input is not a valid key of an accepted format.</exception>
    public static ImportedKey Import(ReadOnlySpan<byte> content, Func<string?>? passphrase = null)
    {
        if (content.IsEmpty || content.Length > MaxInputBytes)
        {
            throw new KeyFormatException(KeyFormatError.Empty, $"A key is 1..{MaxInputBytes} bytes.");
        }

        string text;
        try
        {
            text = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(content);
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw new KeyFormatException(KeyFormatError.UnrecognisedFormat, "The input is not text (binary DER is not accepted; use PEM).");
        }

        var trimmed = text.AsSpan().TrimStart('\uFEFF').Trim();
        if (PemKeys.LooksLikePem(trimmed))
        {
            if (!PemKeys.TryImport(trimmed, out var signing, out var verification, out var error, out var message))
            {
                throw new KeyFormatException(error, message!);
            }

            return new ImportedKey(KeyFormat.Pem, verification!, signing, null);
        }

        if (trimmed.StartsWith(Ed25519Prefix, StringComparison.Ordinal))
        {
            return new ImportedKey(KeyFormat.Ed25519PublicKeyText, ParseEd25519PublicKeyText(trimmed.ToString()), null, null);
        }

        if (trimmed.StartsWith("{", StringComparison.Ordinal))
        {
            return ImportJson(System.Text.Encoding.UTF8.GetBytes(trimmed.ToString()), trimmed.ToString(), passphrase);
        }

        throw new KeyFormatException(KeyFormatError.UnrecognisedFormat, "The input is not a PEM key, a JWK, a Signet key file or an 'ed25519:' public key.");
    }

    /// <summary>Like <see cref="Import"/>, returning false with the typed error instead of throwing.</summary>
    public static bool TryImport(ReadOnlySpan<byte> content, Func<string?>? passphrase, out ImportedKey? key, out KeyFormatError error, out string? message)
    {
        try
        {
            key = Import(content, passphrase);
            error = KeyFormatError.None;
            message = null;
            return true;
        }
        catch (KeyFormatException e)
        {
            key = null;
            error = e.Error;
            message = e.Message;
            return false;
        }
    }

    /// <summary>Parses <c>ed25519:&lt;canonical base64 of 32 bytes&gt;</c>, the public key form of Signet receipts.</summary>
    /// <exception cref="KeyFormatException">The text is not exactly that.</exception>
    public static VerificationKey ParseEd25519PublicKeyText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.StartsWith(Ed25519Prefix, StringComparison.Ordinal)
            || !StrictBase64.TryDecode(text[Ed25519Prefix.Length..], Ed25519.PublicKeySize, out var raw))
        {
            throw new KeyFormatException(KeyFormatError.Malformed, "An Ed25519 public key text is 'ed25519:' + canonical base64 of 32 bytes.");
        }

        return VerificationKey.ImportEd25519(raw);
    }

    /// <summary>The <c>ed25519:&lt;base64&gt;</c> text of an Ed25519 public key.</summary>
    public static string FormatEd25519PublicKeyText(VerificationKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Algorithm != SignatureAlgorithm.EdDSA)
        {
            throw new ArgumentException("Not an Ed25519 key.", nameof(key));
        }

        return Ed25519Prefix + StrictBase64.Encode(key.RawPublicKey.Span);
    }

    /// <summary>An Ed25519 signing key from a raw 32-byte seed (the input is copied; zero yours after).</summary>
    /// <exception cref="KeyFormatException">The seed is not 32 bytes.</exception>
    public static SigningKey FromEd25519Seed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != Ed25519.SeedSize)
        {
            throw new KeyFormatException(KeyFormatError.InvalidKey, "An Ed25519 seed is 32 bytes.");
        }

        return SigningKey.Import(SignatureAlgorithm.EdDSA, seed);
    }

    /// <summary>
    /// An Ed25519 signing key from Signet's secret key text: canonical base64 of the 32-byte seed, or of the 64-byte
    /// seed‖public key (Signet's Python 0.2–0.3), whose public half must match the seed.
    /// </summary>
    /// <exception cref="KeyFormatException">Bad encoding, bad length, or a public half that does not match.</exception>
    public static SigningKey FromEd25519SecretKeyText(string text)
    {
        if (!StrictBase64.TryDecode(text, out var bytes) || bytes.Length is not (Ed25519.SeedSize or Ed25519.ExpandedSecretKeySize))
        {
            CryptographicOperations.ZeroMemory(bytes);
            throw new KeyFormatException(KeyFormatError.Malformed, "An Ed25519 secret key text is canonical base64 of 32 bytes (seed) or 64 bytes (seed and public key).");
        }

        try
        {
            var key = SigningKey.Import(SignatureAlgorithm.EdDSA, bytes.AsSpan(0, Ed25519.SeedSize));
            if (bytes.Length == Ed25519.ExpandedSecretKeySize && !key.PublicKey.RawPublicKey.Span.SequenceEqual(bytes.AsSpan(Ed25519.SeedSize)))
            {
                key.Dispose();
                throw new KeyFormatException(KeyFormatError.InvalidKey, "The public half of the secret key does not match its seed.");
            }

            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private static ImportedKey ImportJson(ReadOnlySpan<byte> content, string text, Func<string?>? passphrase)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 8, AllowDuplicateProperties = false });
        }
        catch (JsonException)
        {
            throw new KeyFormatException(KeyFormatError.Malformed, "The input is not valid JSON (or repeats a member name).");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new KeyFormatException(KeyFormatError.UnrecognisedFormat, "A JSON key is an object.");
            }

            if (root.TryGetProperty("kty", out _))
            {
                return ImportJwk(root);
            }

            if (root.TryGetProperty("keys", out _))
            {
                throw new KeyFormatException(KeyFormatError.UnrecognisedFormat, "The input is a JWKS; import one key (one JWK) at a time.");
            }

            if (root.TryGetProperty("pubkey", out _))
            {
                var file = SignetKeyFile.ReadPublic(content);
                return new ImportedKey(KeyFormat.SignetPublicKeyFile, file.Key, null, file.Name);
            }

            if (root.TryGetProperty("seed", out _) || root.TryGetProperty("kdf", out _))
            {
                var key = SignetKeyFile.ReadPrivate(content, passphrase, expectedName: null, out var name);
                return new ImportedKey(KeyFormat.SignetKeyFile, key.PublicKey, key, name);
            }

            throw new KeyFormatException(KeyFormatError.UnrecognisedFormat, "The JSON is neither a JWK nor a Signet key file.");
        }
    }

    private static void CheckJwkType(JsonElement root)
    {
        var kty = StringMember(root, "kty");
        var crv = StringMember(root, "crv");
        var alg = StringMember(root, "alg");
        var expectedAlg = (kty, crv) switch
        {
            ("EC", "P-256") => SignatureAlgorithms.ES256Name,
            ("OKP", "Ed25519") => SignatureAlgorithms.EdDSAName,
            ("EC" or "OKP", _) => throw new KeyFormatException(KeyFormatError.UnsupportedAlgorithm, $"Invalid JWK: curve '{crv}' is not accepted (only P-256 and Ed25519)."),
            _ => throw new KeyFormatException(KeyFormatError.UnsupportedAlgorithm, $"Invalid JWK: key type '{kty}' is not accepted (only EC P-256 and OKP Ed25519)."),
        };
        if (alg is not null && alg != expectedAlg)
        {
            throw new KeyFormatException(KeyFormatError.UnsupportedAlgorithm, $"Invalid JWK: alg '{alg}' does not match a {crv} key (expected {expectedAlg}).");
        }
    }

    private static bool HasCanonicalCoordinates(JsonElement root)
    {
        var x = StringMember(root, "x");
        var y = StringMember(root, "y");
        var d = StringMember(root, "d");
        return x is not null && StrictBase64.TryDecodeUrl(x, 32, out _)
            && (y is null || StrictBase64.TryDecodeUrl(y, 32, out _))
            && (d is null || StrictBase64.TryDecodeUrl(d, 32, out _))
            && (StringMember(root, "kty") == "EC") == (y is not null);
    }

    private static string? StringMember(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static ImportedKey ImportJwk(JsonElement root)
    {
        CheckJwkType(root);
        if (!JsonWebKey.TryParse(root, out var jwk, out var error))
        {
            // Type, curve and alg passed above: what is left is encoding (Malformed) or a point off the curve (InvalidKey).
            var code = HasCanonicalCoordinates(root) ? KeyFormatError.InvalidKey : KeyFormatError.Malformed;
            throw new KeyFormatException(code, $"Invalid JWK: {error}.");
        }

        if (jwk!.Use is not null and not "sig")
        {
            throw new KeyFormatException(KeyFormatError.UnsupportedAlgorithm, $"Invalid JWK: use '{jwk.Use}' is not a signature key.");
        }

        if (!jwk.HasPrivateKey)
        {
            return new ImportedKey(KeyFormat.Jwk, jwk.ToVerificationKey(), null, null);
        }

        SigningKey key;
        try
        {
            key = jwk.ToSigningKey();
        }
        catch (CryptographicException)
        {
            throw new KeyFormatException(KeyFormatError.InvalidKey, "The JWK's private key is invalid or does not match its public key.");
        }

        return new ImportedKey(KeyFormat.Jwk, key.PublicKey, key, null);
    }
}
