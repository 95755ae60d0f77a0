using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Json;
using AgentTrust.Receipts;

namespace AgentTrust.Audit;

/// <summary>
/// Signet's encrypted audit params (receipts.md §7.7): the stored copy replaces <c>action.params</c> with
/// <c>params_encrypted</c> (XChaCha20-Poly1305, key = HKDF-SHA256 of the signer's Ed25519 seed). Reading them needs the
/// agent's private key; AgentTrust reads this form but writes hash-only receipts for confidential params instead.
/// </summary>
public static class AuditParamsEncryption
{
    private static ReadOnlySpan<byte> Info => "signet:audit:params:v1"u8;

    /// <summary>Derives the audit params key from a 32-byte Ed25519 seed.</summary>
    public static void DeriveKey(ReadOnlySpan<byte> seed, Span<byte> key)
    {
        if (seed.Length != Ed25519.SeedSize || key.Length != XChaCha20Poly1305.KeySize)
        {
            throw new ArgumentException("The seed and the key are 32 bytes.");
        }

        Span<byte> salt = stackalloc byte[32];
        salt.Clear();
        HKDF.DeriveKey(HashAlgorithmName.SHA256, seed, key, salt, Info);
    }

    /// <summary>True when the receipt's action carries <c>params_encrypted</c>.</summary>
    public static bool IsEncrypted(JsonObject receipt) => receipt["action"] is JsonObject action && action.ContainsKey("params_encrypted");

    /// <summary>
    /// Decrypts <c>params_encrypted</c> into <c>action.params</c>, returning a new object ready for signature verification,
    /// or null (with a reason) when the seed does not belong to <c>kid</c>, the form is wrong, or authentication fails.
    /// </summary>
    public static JsonObject? TryDecrypt(JsonObject receipt, ReadOnlySpan<byte> seed, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        reason = "params_encrypted_invalid";
        if (receipt["action"] is not JsonObject action || action["params_encrypted"] is not JsonObject encrypted
            || ReceiptShape.GetString(encrypted, "alg") != "xchacha20poly1305" || !ReceiptShape.IsInteger(encrypted["v"], 1)
            || !StrictBase64.TryDecode(ReceiptShape.GetString(encrypted, "nonce"), XChaCha20Poly1305.NonceSize, out var nonce)
            || !StrictBase64.TryDecode(ReceiptShape.GetString(encrypted, "ciphertext"), out var ciphertext)
            || ciphertext.Length < XChaCha20Poly1305.TagSize || seed.Length != Ed25519.SeedSize)
        {
            return null;
        }

        Span<byte> publicKey = stackalloc byte[Ed25519.PublicKeySize];
        Ed25519.DerivePublicKey(seed, publicKey);
        var kid = ReceiptEncoding.Ed25519Prefix + StrictBase64.Encode(publicKey);
        if (ReceiptShape.GetString(encrypted, "kid") != kid)
        {
            reason = "params_key_mismatch";
            return null;
        }

        var aad = AssociatedData(receipt);
        if (aad is null)
        {
            return null;
        }

        Span<byte> key = stackalloc byte[XChaCha20Poly1305.KeySize];
        var plaintext = new byte[ciphertext.Length - XChaCha20Poly1305.TagSize];
        try
        {
            DeriveKey(seed, key);
            if (!XChaCha20Poly1305.TryDecrypt(key, nonce, ciphertext, aad, plaintext))
            {
                reason = "params_decrypt_failed";
                return null;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }

        JsonNode? parameters;
        try
        {
            parameters = JsonNode.Parse(plaintext);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }

        var result = (JsonObject)receipt.DeepClone();
        var resultAction = (JsonObject)result["action"]!;
        var rebuilt = new JsonObject();
        foreach (var (name, value) in resultAction)
        {
            if (name == "params_encrypted")
            {
                rebuilt["params"] = parameters;
            }
            else
            {
                rebuilt[name] = value?.DeepClone();
            }
        }

        result["action"] = rebuilt;
        reason = null;
        return result;
    }

    /// <summary>Produces the stored form of a receipt with its params encrypted under the signer's seed (Signet's <c>--encrypt-params</c>).</summary>
    public static JsonObject Encrypt(Receipt receipt, ReadOnlySpan<byte> seed)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        var json = receipt.ToJsonObject();
        if (json["action"] is not JsonObject action || receipt.Version == 3)
        {
            throw new ArgumentException("Only receipts with a top-level action (v1, v2, v4) have encryptable params.", nameof(receipt));
        }

        var aad = AssociatedData(json) ?? throw new ArgumentException("The receipt lacks id, signer or time.", nameof(receipt));
        var plaintext = JsonCanonicalizer.Canonicalize(action["params"], CanonicalJsonOptions.Signet);
        Span<byte> publicKey = stackalloc byte[Ed25519.PublicKeySize];
        Ed25519.DerivePublicKey(seed, publicKey);
        var nonce = RandomNumberGenerator.GetBytes(XChaCha20Poly1305.NonceSize);
        var ciphertext = new byte[plaintext.Length + XChaCha20Poly1305.TagSize];
        Span<byte> key = stackalloc byte[XChaCha20Poly1305.KeySize];
        try
        {
            DeriveKey(seed, key);
            XChaCha20Poly1305.Encrypt(key, nonce, plaintext, aad, ciphertext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }

        var rebuilt = new JsonObject();
        foreach (var (name, value) in action)
        {
            rebuilt[name] = name == "params"
                ? new JsonObject
                {
                    ["v"] = 1,
                    ["alg"] = "xchacha20poly1305",
                    ["kid"] = ReceiptEncoding.Ed25519Prefix + StrictBase64.Encode(publicKey),
                    ["nonce"] = StrictBase64.Encode(nonce),
                    ["ciphertext"] = StrictBase64.Encode(ciphertext),
                }
                : value?.DeepClone();
        }

        var renamed = new JsonObject();
        foreach (var (name, value) in rebuilt)
        {
            renamed[name == "params" ? "params_encrypted" : name] = value?.DeepClone();
        }

        json["action"] = renamed;
        return json;
    }

    /// <summary><c>JCS({"receipt_id","signer_pubkey","ts"})</c> with the version's time (v2: <c>ts_request</c>).</summary>
    internal static byte[]? AssociatedData(JsonObject receipt)
    {
        var id = ReceiptShape.GetString(receipt, "id");
        var signer = receipt["signer"] is JsonObject s ? ReceiptShape.GetString(s, "pubkey") : null;
        var ts = ReceiptShape.GetString(receipt, "ts") ?? ReceiptShape.GetString(receipt, "ts_request");
        if (id is null || signer is null || ts is null)
        {
            return null;
        }

        return JsonCanonicalizer.Canonicalize(new JsonObject { ["receipt_id"] = id, ["signer_pubkey"] = signer, ["ts"] = ts }, CanonicalJsonOptions.Signet);
    }
}
