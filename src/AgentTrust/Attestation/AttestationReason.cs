namespace AgentTrust.Attestation;

/// <summary>Why an attestation token was not accepted (attestation.md §4, §8). Wire names via <see cref="AttestationReasons.ToWireName"/>.</summary>
public enum AttestationReason
{
    /// <summary>Accepted.</summary>
    None = 0,

    /// <summary>No token was presented.</summary>
    Missing,

    /// <summary>Too long, not three canonical base64url segments, or header/payload not a strict JSON object.</summary>
    Malformed,

    /// <summary><c>alg</c> missing or not ES256/EdDSA (or not allowed for the issuer).</summary>
    BadAlgorithm,

    /// <summary><c>typ</c> absent or not <c>JWT</c> / <c>agent-attestation+jwt</c>.</summary>
    BadType,

    /// <summary><c>kid</c> absent, not a string, or not 1–256 characters.</summary>
    MissingKeyId,

    /// <summary><c>crit</c> present (or <c>b64:false</c>).</summary>
    Critical,

    /// <summary><c>iss</c> absent or not a string.</summary>
    MissingIssuer,

    /// <summary><c>iss</c> is not a configured trusted issuer.</summary>
    UntrustedIssuer,

    /// <summary>The issuer's key set has no key with this <c>kid</c>.</summary>
    UnknownKeyId,

    /// <summary>The issuer's key set could not be obtained.</summary>
    JwksUnavailable,

    /// <summary>The key's type does not match <c>alg</c>.</summary>
    KeyAlgorithmMismatch,

    /// <summary>The signature does not verify.</summary>
    BadSignature,

    /// <summary><c>now ≥ exp + skew</c>.</summary>
    Expired,

    /// <summary><c>nbf &gt; now + skew</c>.</summary>
    NotYetValid,

    /// <summary><c>iat &gt; now + skew</c>.</summary>
    IssuedInFuture,

    /// <summary><c>exp − iat</c> exceeds the maximum lifetime.</summary>
    LifetimeTooLong,

    /// <summary>The configured audience is not in <c>aud</c>.</summary>
    AudienceMismatch,

    /// <summary><c>jti</c> absent or not 1–128 printable ASCII characters.</summary>
    MissingJti,

    /// <summary><c>sub</c> absent, not a SPIFFE ID, or of another trust domain.</summary>
    BadSubject,

    /// <summary>A required claim is absent.</summary>
    MissingClaim,

    /// <summary>A claim violates the schema (types, enums, lengths).</summary>
    BadClaim,

    /// <summary><c>attestation_type</c> not allowed for the issuer.</summary>
    TypeNotAllowed,

    /// <summary><c>safety_level</c> below the configured minimum.</summary>
    SafetyBelowMinimum,

    /// <summary>An integrity hash differs from the expected one.</summary>
    IntegrityMismatch,

    /// <summary><c>cnf</c> does not match the key that signed the carrying request.</summary>
    ConfirmationMismatch,

    /// <summary>The <c>(iss, jti)</c> was already used.</summary>
    Replay,

    /// <summary>The replay store is full; the token is rejected rather than evicting live entries.</summary>
    ReplayStoreFull,

    /// <summary>The replay store could not be reached; the token is rejected (fail closed).</summary>
    ReplayStoreUnavailable,

    /// <summary>An unexpected verifier fault; the token is rejected (fail closed).</summary>
    InternalError,

    /// <summary>
    /// <c>iat ≤ fence + skew</c>, where the fence is the replay store's <see cref="AgentTrust.Replay.IReplayStore.RestartFence"/>:
    /// the token could have been used before an unclean restart that lost its <c>jti</c>; a fresh token is needed.
    /// </summary>
    IssuedBeforeRestartFence,
}

/// <summary>Wire names and JSON-RPC codes of <see cref="AttestationReason"/>.</summary>
public static class AttestationReasons
{
    /// <summary>−32001: attestation required but not provided.</summary>
    public const int Required = -32001;

    /// <summary>−32002: attestation invalid.</summary>
    public const int Invalid = -32002;

    /// <summary>−32003: expired or not (yet) valid in time.</summary>
    public const int Expired = -32003;

    /// <summary>−32004: replay.</summary>
    public const int Replay = -32004;

    /// <summary>−32005: issuer not trusted.</summary>
    public const int IssuerUntrusted = -32005;

    /// <summary>−32006: claims insufficient.</summary>
    public const int ClaimsInsufficient = -32006;

    /// <summary>The reason name used in <c>error.data.reason</c> and metrics (for example <c>bad_signature</c>).</summary>
    public static string ToWireName(this AttestationReason reason) => reason switch
    {
        AttestationReason.None => "none",
        AttestationReason.Missing => "missing",
        AttestationReason.Malformed => "malformed",
        AttestationReason.BadAlgorithm => "bad_alg",
        AttestationReason.BadType => "bad_typ",
        AttestationReason.MissingKeyId => "missing_kid",
        AttestationReason.Critical => "crit",
        AttestationReason.MissingIssuer => "missing_iss",
        AttestationReason.UntrustedIssuer => "untrusted_issuer",
        AttestationReason.UnknownKeyId => "unknown_kid",
        AttestationReason.JwksUnavailable => "jwks_unavailable",
        AttestationReason.KeyAlgorithmMismatch => "key_alg_mismatch",
        AttestationReason.BadSignature => "bad_signature",
        AttestationReason.Expired => "expired",
        AttestationReason.NotYetValid => "not_yet_valid",
        AttestationReason.IssuedInFuture => "iat_in_future",
        AttestationReason.LifetimeTooLong => "lifetime_too_long",
        AttestationReason.AudienceMismatch => "audience_mismatch",
        AttestationReason.MissingJti => "missing_jti",
        AttestationReason.BadSubject => "bad_sub",
        AttestationReason.MissingClaim => "missing_claim",
        AttestationReason.BadClaim => "bad_claim",
        AttestationReason.TypeNotAllowed => "type_not_allowed",
        AttestationReason.SafetyBelowMinimum => "safety_below_minimum",
        AttestationReason.IntegrityMismatch => "integrity_mismatch",
        AttestationReason.ConfirmationMismatch => "cnf_mismatch",
        AttestationReason.Replay => "replay",
        AttestationReason.ReplayStoreFull => "replay_store_full",
        AttestationReason.ReplayStoreUnavailable => "replay_store_unavailable",
        AttestationReason.InternalError => "internal_error",
        AttestationReason.IssuedBeforeRestartFence => "issued_before_restart_fence",
        _ => "internal_error",
    };

    /// <summary>The JSON-RPC error code for a rejection (attestation.md §8); 0 for <see cref="AttestationReason.None"/>.</summary>
    public static int ToJsonRpcCode(this AttestationReason reason) => reason switch
    {
        AttestationReason.None => 0,
        AttestationReason.Missing => Required,
        AttestationReason.Expired or AttestationReason.NotYetValid or AttestationReason.IssuedInFuture or AttestationReason.LifetimeTooLong
            or AttestationReason.IssuedBeforeRestartFence => Expired,
        AttestationReason.Replay => Replay,
        AttestationReason.UntrustedIssuer => IssuerUntrusted,
        AttestationReason.MissingClaim or AttestationReason.BadClaim or AttestationReason.TypeNotAllowed
            or AttestationReason.SafetyBelowMinimum or AttestationReason.IntegrityMismatch => ClaimsInsufficient,
        _ => Invalid,
    };

    /// <summary>A short fixed message per reason (never containing token content).</summary>
    public static string ToMessage(this AttestationReason reason) => reason == AttestationReason.Missing
        ? "Attestation required but not provided"
        : "Attestation invalid: " + reason.ToWireName();
}
