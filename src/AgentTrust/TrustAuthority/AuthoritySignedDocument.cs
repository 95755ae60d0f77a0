using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Errors;
using AgentTrust.Json;

namespace AgentTrust.TrustAuthority;

/// <summary>
/// The one place that builds the signed preimage of every Trust Authority document (status, staple, revocation list,
/// TA-signed passport, audit anchor) and signs or verifies it. Server and client both call these functions.
/// Preimage = UTF-8 JCS of the document without its signature member (mcps.md §7.3, §7.5; receipts.md §7.6).
/// </summary>
public static class AuthoritySignedDocument
{
    /// <summary>The signature member of ES256 documents (passports, status, staples, revocation lists).</summary>
    public const string Es256SignatureMember = "signature";

    /// <summary>The signature member of Ed25519 documents (audit anchors).</summary>
    public const string Ed25519SignatureMember = "sig";

    /// <summary>The prefix of Ed25519 keys and signatures in receipt-family documents.</summary>
    public const string Ed25519Prefix = "ed25519:";

    /// <summary>Builds the signed bytes: JCS of <paramref name="document"/> without <paramref name="signatureMember"/>.</summary>
    /// <exception cref="CanonicalJsonException">The document holds something JCS cannot represent.</exception>
    public static byte[] BuildPreimage(JsonObject document, string signatureMember)
    {
        ArgumentNullException.ThrowIfNull(document);
        var copy = new JsonObject();
        foreach (var (name, value) in document)
        {
            if (!string.Equals(name, signatureMember, StringComparison.Ordinal))
            {
                copy[name] = value?.DeepClone();
            }
        }

        return JsonCanonicalizer.Canonicalize(copy, CanonicalJsonOptions.Strict);
    }

    /// <summary>Signs an ES256 document in place: sets <c>signature</c> to canonical base64 of the 64-byte P1363 signature.</summary>
    public static void SignEs256(JsonObject document, SigningKey key)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(key);
        if (key.Algorithm != SignatureAlgorithm.ES256)
        {
            throw new ArgumentException("Trust Authority documents of this kind are signed with ES256.", nameof(key));
        }

        document.Remove(Es256SignatureMember);
        var signature = key.Sign(BuildPreimage(document, Es256SignatureMember));
        document[Es256SignatureMember] = StrictBase64.Encode(signature);
    }

    /// <summary>Signs an Ed25519 document in place: sets <c>sig</c> to <c>ed25519:</c> + base64 of the signature.</summary>
    public static void SignEd25519(JsonObject document, SigningKey key)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(key);
        if (key.Algorithm != SignatureAlgorithm.EdDSA)
        {
            throw new ArgumentException("Audit anchors are signed with Ed25519.", nameof(key));
        }

        document.Remove(Ed25519SignatureMember);
        var signature = key.Sign(BuildPreimage(document, Ed25519SignatureMember));
        document[Ed25519SignatureMember] = Ed25519Prefix + StrictBase64.Encode(signature);
    }

    /// <summary>Verifies an ES256 document against <paramref name="key"/>. Never throws on bad input.</summary>
    public static AuthorityCheck VerifyEs256(JsonObject document, VerificationKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (document is null || key.Algorithm != SignatureAlgorithm.ES256)
        {
            return AuthorityCheck.Fail(McpsCode.InvalidSignature, "signature_mismatch");
        }

        if (!TryGetString(document, Es256SignatureMember, out var text) || !StrictBase64.TryDecode(text, SigningKey.SignatureSize, out var signature))
        {
            return AuthorityCheck.Fail(McpsCode.InvalidSignature, "bad_signature_encoding");
        }

        return Verify(document, key, Es256SignatureMember, signature);
    }

    /// <summary>Verifies an Ed25519 document (<c>sig</c> member) against <paramref name="key"/>. Never throws on bad input.</summary>
    public static AuthorityCheck VerifyEd25519(JsonObject document, VerificationKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (document is null || key.Algorithm != SignatureAlgorithm.EdDSA)
        {
            return AuthorityCheck.Fail(McpsCode.InvalidSignature, "signature_mismatch");
        }

        if (!TryGetString(document, Ed25519SignatureMember, out var text)
            || !text.StartsWith(Ed25519Prefix, StringComparison.Ordinal)
            || !StrictBase64.TryDecode(text[Ed25519Prefix.Length..], SigningKey.SignatureSize, out var signature))
        {
            return AuthorityCheck.Fail(McpsCode.InvalidSignature, "bad_signature_encoding");
        }

        return Verify(document, key, Ed25519SignatureMember, signature);
    }

    private static AuthorityCheck Verify(JsonObject document, VerificationKey key, string member, byte[] signature)
    {
        byte[] preimage;
        try
        {
            preimage = BuildPreimage(document, member);
        }
        catch (CanonicalJsonException)
        {
            return AuthorityCheck.Fail(McpsCode.NonCanonicalInput, "unsafe_number");
        }
        catch (InvalidOperationException)
        {
            return AuthorityCheck.Fail(McpsCode.NonCanonicalInput, "bad_field");
        }

        return key.Verify(preimage, signature) switch
        {
            SignatureStatus.Valid => AuthorityCheck.Success,
            SignatureStatus.HighS => AuthorityCheck.Fail(McpsCode.InvalidSignature, "high_s"),
            SignatureStatus.Mismatch => AuthorityCheck.Fail(McpsCode.InvalidSignature, "signature_mismatch"),
            _ => AuthorityCheck.Fail(McpsCode.InvalidSignature, "bad_signature_encoding"),
        };
    }

    internal static bool TryGetString(JsonObject document, string name, out string value)
    {
        value = string.Empty;
        if (document.TryGetPropertyValue(name, out var node) && node is JsonValue v && v.TryGetValue<string>(out var s))
        {
            value = s;
            return true;
        }

        return false;
    }
}
