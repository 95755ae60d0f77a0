using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Errors;
using AgentTrust.Mcps;

namespace AgentTrust.TrustAuthority;

/// <summary>
/// The authority's signed answer about a log to <c>GET /v1/checkpoints/{logId}?nonce=N</c>:
/// <c>{"type":"agenttrust-ta-checkpoint-answer-v1","log_id","request_nonce":N,"anchor":{the highest audit anchor it holds} or null,"sig":"ed25519:…"}</c>,
/// signed by the authority's anchor key over <see cref="AuthoritySignedDocument.BuildPreimage"/> (JCS without <c>sig</c>).
/// The stored anchor alone is signed once, when anchored, so an old answer replayed by a man in the middle or a cache
/// could show a lower head and hide a later anchor (a truncated log); echoing the requester's nonce inside the signed
/// content makes each answer good for one request only. <c>"anchor":null</c> is the signed statement that the authority
/// holds no anchor of the log, which an unsigned 404 could not be. The authority (<see cref="Create"/>) and the client
/// (<see cref="Verify"/>) both go through <see cref="AuthoritySignedDocument"/>'s one preimage function.
/// </summary>
public static class CheckpointAnswer
{
    /// <summary>The member that echoes the requester's nonce, inside the signed content.</summary>
    public const string RequestNonceMember = "request_nonce";

    /// <summary>The reason of an answer that carries no <c>request_nonce</c> (an old authority, or a replayed bare anchor).</summary>
    public const string NonceMissing = "nonce_missing";

    /// <summary>The reason of a validly signed answer to another request (a replayed answer).</summary>
    public const string NonceMismatch = "nonce_mismatch";

    /// <summary>The reason (MCPS-023, HTTP status 404) of a signed answer saying the authority holds no anchor of the log.</summary>
    public const string UnknownLog = "unknown_log";

    private static readonly string[] Members = [AuthoritySignedDocument.TypeMember, "log_id", RequestNonceMember, "anchor", AuthoritySignedDocument.Ed25519SignatureMember];

    /// <summary>
    /// Signs the answer about <paramref name="logId"/> for the request that sent <paramref name="requestNonce"/> (32
    /// lowercase hex, <see cref="McpsIdentifiers.IsNonce"/>): <paramref name="anchor"/> is the authority's stored anchor of
    /// the log, or null when it holds none.
    /// </summary>
    public static JsonObject Create(string logId, JsonObject? anchor, string requestNonce, SigningKey anchorKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(logId);
        ArgumentNullException.ThrowIfNull(anchorKey);
        if (!McpsIdentifiers.IsNonce(requestNonce))
        {
            throw new ArgumentException("A request nonce is 32 lowercase hex characters.", nameof(requestNonce));
        }

        if (anchor is not null && (!AuthoritySignedDocument.TryGetString(anchor, "log_id", out var anchored) || !string.Equals(anchored, logId, StringComparison.Ordinal)))
        {
            throw new ArgumentException("The anchor is not of this log.", nameof(anchor));
        }

        var answer = new JsonObject
        {
            ["log_id"] = logId,
            [RequestNonceMember] = requestNonce,
            ["anchor"] = anchor?.DeepClone(),
        };
        AuthoritySignedDocument.SignEd25519(answer, anchorKey, AuthorityDocumentKind.CheckpointAnswer);
        return answer;
    }

    /// <summary>
    /// Checks that <paramref name="answer"/> answers the request for <paramref name="logId"/> that sent
    /// <paramref name="requestNonce"/>, signed by <paramref name="anchorKey"/> (the pinned anchor key): the nonce present
    /// (else MCPS-005 <see cref="NonceMissing"/>), no unknown member, the kind and the signature (MCPS-004), then the nonce
    /// equal (else MCPS-005 <see cref="NonceMismatch"/>) and the log the one asked about (MCPS-023 <c>anchor_mismatch</c>).
    /// Returns the embedded anchor, whose own signature and head the caller still checks, or MCPS-023
    /// <see cref="UnknownLog"/> with HTTP status 404 when the answer says the authority holds none. Never throws on bad input.
    /// </summary>
    public static AuthorityResult<JsonObject> Verify(JsonObject answer, string logId, string requestNonce, VerificationKey anchorKey, int httpStatus = 200)
    {
        ArgumentNullException.ThrowIfNull(logId);
        ArgumentNullException.ThrowIfNull(requestNonce);
        ArgumentNullException.ThrowIfNull(anchorKey);
        if (answer is null || !answer.ContainsKey(RequestNonceMember))
        {
            return AuthorityResult<JsonObject>.Failure(McpsCode.ReplayDetected, NonceMissing, httpStatus);
        }

        if (answer.Any(p => Array.IndexOf(Members, p.Key) < 0))
        {
            return AuthorityResult<JsonObject>.Failure(McpsCode.InvalidSignature, "foreign_format", httpStatus);
        }

        var check = AuthoritySignedDocument.VerifyEd25519(answer, anchorKey, AuthorityDocumentKind.CheckpointAnswer);
        if (!check.IsValid)
        {
            return AuthorityResult<JsonObject>.Failure(check.Code!.Value, check.Reason!, httpStatus);
        }

        // The nonce is no secret (it travels in the URL), so an ordinary comparison is enough.
        if (!AuthoritySignedDocument.TryGetString(answer, RequestNonceMember, out var echoed) || !string.Equals(echoed, requestNonce, StringComparison.Ordinal))
        {
            return AuthorityResult<JsonObject>.Failure(McpsCode.ReplayDetected, NonceMismatch, httpStatus);
        }

        if (!AuthoritySignedDocument.TryGetString(answer, "log_id", out var answered) || !string.Equals(answered, logId, StringComparison.Ordinal))
        {
            return AuthorityResult<JsonObject>.Failure(McpsCode.AuditChainBroken, "anchor_mismatch", httpStatus);
        }

        return answer["anchor"] switch
        {
            JsonObject anchor => AuthorityResult<JsonObject>.Success((JsonObject)anchor.DeepClone(), httpStatus),
            null when answer.ContainsKey("anchor") => AuthorityResult<JsonObject>.Failure(McpsCode.AuditChainBroken, UnknownLog, 404),
            _ => AuthorityResult<JsonObject>.Failure(McpsCode.AuditChainBroken, "anchor_mismatch", httpStatus),
        };
    }
}
