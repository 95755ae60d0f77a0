using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Errors;
using AgentTrust.Json;

namespace AgentTrust.TrustAuthority;

/// <summary>
/// The one place that builds the signed preimage of every Trust Authority document (status, staple, revocation list,
/// TA-signed passport, audit anchor, checkpoint answer) and signs or verifies it. Server and client both call these functions.
/// Preimage = UTF-8 JCS of the document without its signature member (mcps.md §7.3, §7.5; receipts.md §7.6).
/// Domain separation: every kind but the passport carries its <c>type</c> member inside the signed content
/// (<see cref="TypeOf"/>), and a verifier is told the kind it expects, so a signed document of one kind is never accepted
/// as another. A passport keeps the MCPS format (no <c>type</c>, for mcp-secure interop): a document verified as a
/// passport must have no <c>type</c> member, so no typed document passes as one.
/// </summary>
public static class AuthoritySignedDocument
{
    /// <summary>The member that names a document's kind, inside the signed content.</summary>
    public const string TypeMember = "type";

    /// <summary>The <c>type</c> of a per-passport status document (<c>GET /v1/passports/{id}/status</c>).</summary>
    public const string StatusType = "agenttrust-ta-status-v1";

    /// <summary>The <c>type</c> of a stapled status (<c>io.agenttrust/status</c>, <c>GET /v1/passports/{id}/staple</c>).</summary>
    public const string StapleType = "agenttrust-ta-staple-v1";

    /// <summary>The <c>type</c> of the signed revocation list (<c>GET /v1/revocations</c>).</summary>
    public const string RevocationListType = "agenttrust-ta-revocations-v1";

    /// <summary>The <c>type</c> of an audit anchor (receipts.md §7.6).</summary>
    public const string AuditAnchorType = "audit_anchor";

    /// <summary>The <c>type</c> of the authority's fresh answer about a log (<c>GET /v1/checkpoints/{logId}?nonce=</c>).</summary>
    public const string CheckpointAnswerType = "agenttrust-ta-checkpoint-answer-v1";

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

    /// <summary>The <c>type</c> value of <paramref name="kind"/>, or null for a passport (which carries none).</summary>
    public static string? TypeOf(AuthorityDocumentKind kind) => kind switch
    {
        AuthorityDocumentKind.Passport => null,
        AuthorityDocumentKind.Status => StatusType,
        AuthorityDocumentKind.Staple => StapleType,
        AuthorityDocumentKind.RevocationList => RevocationListType,
        AuthorityDocumentKind.AuditAnchor => AuditAnchorType,
        AuthorityDocumentKind.CheckpointAnswer => CheckpointAnswerType,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>
    /// Signs an ES256 document of <paramref name="kind"/> in place: sets its <c>type</c> (none for a passport), then
    /// <c>signature</c> to canonical base64 of the 64-byte P1363 signature.
    /// </summary>
    public static void SignEs256(JsonObject document, SigningKey key, AuthorityDocumentKind kind)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(key);
        if (key.Algorithm != SignatureAlgorithm.ES256 || IsEd25519Kind(kind))
        {
            throw new ArgumentException("Trust Authority documents of this kind are signed with ES256.", nameof(key));
        }

        document.Remove(Es256SignatureMember);
        document.Remove(TypeMember);
        if (TypeOf(kind) is { } type)
        {
            document[TypeMember] = type;
        }

        var signature = key.Sign(BuildPreimage(document, Es256SignatureMember));
        document[Es256SignatureMember] = StrictBase64.Encode(signature);
    }

    /// <summary>
    /// Verifies an ES256 document that must be of <paramref name="kind"/> against <paramref name="key"/>: its <c>type</c>
    /// first (exactly the kind's, or absent for a passport; else MCPS-004 <c>foreign_format</c>), then the signature.
    /// Never throws on bad input.
    /// </summary>
    public static AuthorityCheck VerifyEs256(JsonObject document, VerificationKey key, AuthorityDocumentKind kind)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (document is null || key.Algorithm != SignatureAlgorithm.ES256 || IsEd25519Kind(kind))
        {
            return AuthorityCheck.Fail(McpsCode.InvalidSignature, "signature_mismatch");
        }

        if (!IsOfKind(document, kind))
        {
            return AuthorityCheck.Fail(McpsCode.InvalidSignature, "foreign_format");
        }

        if (!TryGetString(document, Es256SignatureMember, out var text) || !StrictBase64.TryDecode(text, SigningKey.SignatureSize, out var signature))
        {
            return AuthorityCheck.Fail(McpsCode.InvalidSignature, "bad_signature_encoding");
        }

        return Verify(document, key, Es256SignatureMember, signature);
    }

    /// <summary>
    /// Signs an audit anchor (receipts.md §7.6) in place: sets its <c>type</c> to <c>audit_anchor</c>, then <c>sig</c> to
    /// <c>ed25519:</c> + base64 of the Ed25519 signature over <see cref="BuildPreimage"/>. The verifier is
    /// <see cref="VerifyEd25519(JsonObject, VerificationKey)"/>, over the same preimage.
    /// </summary>
    public static void SignEd25519(JsonObject document, SigningKey key) => SignEd25519(document, key, AuthorityDocumentKind.AuditAnchor);

    /// <summary>
    /// Signs an Ed25519 document of <paramref name="kind"/> (an audit anchor or a checkpoint answer) in place: sets its
    /// <c>type</c>, then <c>sig</c> to <c>ed25519:</c> + base64 of the Ed25519 signature over <see cref="BuildPreimage"/>.
    /// The verifier is <see cref="VerifyEd25519(JsonObject, VerificationKey, AuthorityDocumentKind)"/>, over the same preimage.
    /// </summary>
    public static void SignEd25519(JsonObject document, SigningKey key, AuthorityDocumentKind kind)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(key);
        if (key.Algorithm != SignatureAlgorithm.EdDSA || !IsEd25519Kind(kind))
        {
            throw new ArgumentException("Audit anchors and checkpoint answers are signed with Ed25519.", nameof(key));
        }

        document.Remove(Ed25519SignatureMember);
        document[TypeMember] = TypeOf(kind);
        var signature = key.Sign(BuildPreimage(document, Ed25519SignatureMember));
        document[Ed25519SignatureMember] = Ed25519Prefix + StrictBase64.Encode(signature);
    }

    /// <summary>Verifies an audit anchor (<c>type</c> <c>audit_anchor</c>, Ed25519 <c>sig</c> member) against <paramref name="key"/>. Never throws on bad input.</summary>
    public static AuthorityCheck VerifyEd25519(JsonObject document, VerificationKey key) => VerifyEd25519(document, key, AuthorityDocumentKind.AuditAnchor);

    /// <summary>
    /// Verifies an Ed25519 document that must be of <paramref name="kind"/> against <paramref name="key"/>: its <c>type</c>
    /// first (else MCPS-004 <c>foreign_format</c>), then the <c>sig</c> member. Never throws on bad input.
    /// </summary>
    public static AuthorityCheck VerifyEd25519(JsonObject document, VerificationKey key, AuthorityDocumentKind kind)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (document is null || key.Algorithm != SignatureAlgorithm.EdDSA || !IsEd25519Kind(kind))
        {
            return AuthorityCheck.Fail(McpsCode.InvalidSignature, "signature_mismatch");
        }

        if (!IsOfKind(document, kind))
        {
            return AuthorityCheck.Fail(McpsCode.InvalidSignature, "foreign_format");
        }

        if (!TryGetString(document, Ed25519SignatureMember, out var text)
            || !text.StartsWith(Ed25519Prefix, StringComparison.Ordinal)
            || !StrictBase64.TryDecode(text[Ed25519Prefix.Length..], SigningKey.SignatureSize, out var signature))
        {
            return AuthorityCheck.Fail(McpsCode.InvalidSignature, "bad_signature_encoding");
        }

        return Verify(document, key, Ed25519SignatureMember, signature);
    }

    private static bool IsEd25519Kind(AuthorityDocumentKind kind) => kind is AuthorityDocumentKind.AuditAnchor or AuthorityDocumentKind.CheckpointAnswer;

    private static bool IsOfKind(JsonObject document, AuthorityDocumentKind kind) => TypeOf(kind) is { } expected
        ? TryGetString(document, TypeMember, out var type) && string.Equals(type, expected, StringComparison.Ordinal)
        : !document.ContainsKey(TypeMember);

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
