namespace AgentTrust.Jose;

/// <summary>The outcome of parsing or verifying a compact JWS; every value but <see cref="Valid"/> is a rejection.</summary>
public enum JwsStatus
{
    /// <summary>The JWS is well-formed and its signature verifies.</summary>
    Valid = 0,

    /// <summary>The token exceeds the configured size limit (checked before any parsing).</summary>
    TooLarge,

    /// <summary>Not three segments, or a segment is not canonical unpadded base64url, or the payload is not a JSON object when one is required.</summary>
    Malformed,

    /// <summary>The protected header is not a strict JSON object (invalid JSON, duplicate members, wrong member types).</summary>
    MalformedHeader,

    /// <summary>The <c>alg</c> is missing or not on the allow-list (<c>none</c>, HMAC, RSA, other curves are rejected by name).</summary>
    AlgorithmRejected,

    /// <summary>The header carries <c>crit</c> naming an extension this verifier does not understand.</summary>
    CriticalHeader,

    /// <summary>The header asks for an unencoded payload (<c>b64:false</c>, RFC 7797), which is never accepted.</summary>
    UnencodedPayload,

    /// <summary>The header has no usable <c>kid</c> and the key resolver needs one.</summary>
    MissingKeyId,

    /// <summary>No key is known for the <c>kid</c>.</summary>
    UnknownKey,

    /// <summary>The resolved key is of another algorithm than the header's <c>alg</c> (algorithm confusion).</summary>
    KeyAlgorithmMismatch,

    /// <summary>The signature does not verify (wrong length, out of range, high-S, or mismatch).</summary>
    BadSignature,

    /// <summary>The key source could not be reached (for example a JWKS outage); the token is rejected (fail closed).</summary>
    KeySourceUnavailable,
}
