using System.Text;
using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Errors;
using AgentTrust.Json;
using AgentTrust.Mcps.Envelopes;

namespace AgentTrust.Mcps.Transcript;

/// <summary>A transcript binding: the hash of the handshake and the signature over it.</summary>
/// <param name="TranscriptHash">Lowercase hex SHA-256 of <c>JCS({"client": C, "server": S})</c>.</param>
/// <param name="TranscriptSignature">Canonical base64 P1363 over the UTF-8 bytes of the 64-character hash.</param>
public sealed record TranscriptBindingValue(string TranscriptHash, string TranscriptSignature);

/// <summary>
/// Transcript binding of the initialize generation (mcps.md §11.1): both peers hash the client's <c>initialize</c>
/// params and the server's result; stripping a capability, lowering a trust level or changing the protocol version
/// changes the hash and fails with MCPS-012. Verification never throws on bad input.
/// </summary>
public static class TranscriptBinding
{
    /// <summary>The <c>_meta</c> key that carries a binding.</summary>
    public const string MetaKey = "io.agenttrust/transcript";

    /// <summary>The transcript hash of the two handshake objects.</summary>
    /// <exception cref="CanonicalJsonException">An object holds something JCS cannot represent.</exception>
    public static string ComputeHash(JsonObject clientInit, JsonObject serverInit)
    {
        ArgumentNullException.ThrowIfNull(clientInit);
        ArgumentNullException.ThrowIfNull(serverInit);
        return McpsJson.Sha256Hex(Preimage(clientInit, serverInit));
    }

    /// <summary>The hashed bytes: <c>UTF-8(JCS({"client": C, "server": S}))</c>.</summary>
    public static byte[] Preimage(JsonObject clientInit, JsonObject serverInit) =>
        JsonCanonicalizer.Canonicalize(new JsonObject { ["client"] = clientInit.DeepClone(), ["server"] = serverInit.DeepClone() }, CanonicalJsonOptions.Strict);

    /// <summary>mcp-secure <c>createTranscriptBinding</c>.</summary>
    public static TranscriptBindingValue Create(JsonObject clientInit, JsonObject serverInit, SigningKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Algorithm != SignatureAlgorithm.ES256)
        {
            throw new ArgumentException("Transcript bindings are ES256.", nameof(key));
        }

        var hash = ComputeHash(clientInit, serverInit);
        return new TranscriptBindingValue(hash, StrictBase64.Encode(key.Sign(System.Text.Encoding.ASCII.GetBytes(hash))));
    }

    /// <summary>mcp-secure <c>verifyTranscriptBinding</c>: recomputes the hash from the objects this peer saw; null when valid, else MCPS-012.</summary>
    public static McpsFailure? Verify(TranscriptBindingValue binding, VerificationKey key, JsonObject clientInit, JsonObject serverInit, SignatureVerificationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(binding);
        ArgumentNullException.ThrowIfNull(key);
        var mismatch = new McpsFailure(McpsCode.CapabilityMismatch, McpsReasons.SignatureMismatch);
        try
        {
            var hash = ComputeHash(clientInit, serverInit);
            if (!string.Equals(hash, binding.TranscriptHash, StringComparison.Ordinal)
                || key.Algorithm != SignatureAlgorithm.ES256
                || !StrictBase64.TryDecode(binding.TranscriptSignature, 64, out var signature)
                || key.Verify(System.Text.Encoding.ASCII.GetBytes(hash), signature, options) != SignatureStatus.Valid)
            {
                return mismatch;
            }

            return null;
        }
        catch (CanonicalJsonException)
        {
            return mismatch;
        }
    }

    /// <summary>
    /// The wire form of a handshake object for hashing: a copy without the <c>_meta</c> members
    /// <c>io.agenttrust/mcps</c> and <c>io.agenttrust/transcript</c> (and without <c>_meta</c> if that empties it).
    /// </summary>
    public static JsonObject ForHashing(JsonObject initializeParamsOrResult)
    {
        ArgumentNullException.ThrowIfNull(initializeParamsOrResult);
        var copy = (JsonObject)initializeParamsOrResult.DeepClone();
        if (copy["_meta"] is JsonObject meta)
        {
            meta.Remove(McpsEnvelopeConstants.MetaKey);
            meta.Remove(MetaKey);
            if (meta.Count == 0)
            {
                copy.Remove("_meta");
            }
        }

        return copy;
    }

    /// <summary>The <c>_meta["io.agenttrust/transcript"]</c> member: <c>{"passport_id","transcript_hash","transcript_signature"}</c>.</summary>
    public static JsonObject ToMetaMember(TranscriptBindingValue binding, string passportId)
    {
        ArgumentNullException.ThrowIfNull(binding);
        return new JsonObject
        {
            ["passport_id"] = passportId,
            ["transcript_hash"] = binding.TranscriptHash,
            ["transcript_signature"] = binding.TranscriptSignature,
        };
    }

    /// <summary>Reads the <c>_meta</c> member; false when absent or malformed.</summary>
    public static bool TryReadMetaMember(JsonObject paramsOrResult, out TranscriptBindingValue? binding, out string? passportId)
    {
        ArgumentNullException.ThrowIfNull(paramsOrResult);
        binding = null;
        passportId = null;
        if (paramsOrResult["_meta"] is not JsonObject meta || meta[MetaKey] is not JsonObject member
            || McpsJson.GetString(member, "transcript_hash") is not { } hash || McpsJson.GetString(member, "transcript_signature") is not { } signature)
        {
            return false;
        }

        passportId = McpsJson.GetString(member, "passport_id");
        binding = new TranscriptBindingValue(hash, signature);
        return true;
    }
}
