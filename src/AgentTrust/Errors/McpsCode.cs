namespace AgentTrust.Errors;

/// <summary>
/// The MCPS error codes (MCPS-001 … MCPS-015 from mcp-secure, MCPS-016 and above from AgentTrust).
/// The JSON-RPC error code of <c>MCPS-0nn</c> is <c>−33000 − nn</c>.
/// </summary>
public enum McpsCode
{
    /// <summary>MCPS-001: bad passport structure, id, key, validity, unknown passport, untrusted or cyclic chain.</summary>
    InvalidPassport = 1,

    /// <summary>MCPS-002: the passport or an ancestor has expired.</summary>
    PassportExpired = 2,

    /// <summary>MCPS-003: the passport is revoked.</summary>
    PassportRevoked = 3,

    /// <summary>MCPS-004: signature missing, malformed, non-canonical, high-S or mismatching; envelope problems.</summary>
    InvalidSignature = 4,

    /// <summary>MCPS-005: the (passport, nonce) pair was already accepted.</summary>
    ReplayDetected = 5,

    /// <summary>MCPS-006: bad timestamp grammar, too old or too far ahead.</summary>
    TimestampOutOfWindow = 6,

    /// <summary>MCPS-007: a passport or status was needed and could not be obtained (fail closed).</summary>
    AuthorityUnreachable = 7,

    /// <summary>MCPS-008: tool signature invalid, pin mismatch, unpinned tool under strict pinning.</summary>
    ToolIntegrityFailed = 8,

    /// <summary>MCPS-009: effective trust level below the minimum.</summary>
    InsufficientTrust = 9,

    /// <summary>MCPS-010: a rate limit or store capacity was hit.</summary>
    RateLimited = 10,

    /// <summary>MCPS-011: origin or audience mismatch.</summary>
    OriginMismatch = 11,

    /// <summary>MCPS-012: transcript binding invalid or pending; downgrade detected.</summary>
    CapabilityMismatch = 12,

    /// <summary>MCPS-013: passport larger than 8192 bytes.</summary>
    PassportTooLarge = 13,

    /// <summary>MCPS-014: issuer chain deeper than 5.</summary>
    ChainTooDeep = 14,

    /// <summary>MCPS-015: no mutually supported MCPS version.</summary>
    VersionMismatch = 15,

    /// <summary>MCPS-016: size or depth bound exceeded before parsing.</summary>
    InputLimitExceeded = 16,

    /// <summary>MCPS-017: duplicate members, lone surrogates, invalid UTF-8, numbers that lose value.</summary>
    NonCanonicalInput = 17,

    /// <summary>MCPS-018: tool class not allowed, spending limit exceeded, approval required.</summary>
    PolicyDenied = 18,

    /// <summary>MCPS-019: counterparty matched a sanctions list, or screening unavailable when required.</summary>
    SanctionsMatch = 19,

    /// <summary>MCPS-020: attestation token required and missing or invalid.</summary>
    AttestationFailed = 20,

    /// <summary>MCPS-021: runtime digest differs from the passport pin.</summary>
    CodeAttestationMismatch = 21,

    /// <summary>MCPS-022: receipt fails verification.</summary>
    ReceiptInvalid = 22,

    /// <summary>MCPS-023: audit chain break, or fewer records than an anchored head.</summary>
    AuditChainBroken = 23,

    /// <summary>MCPS-024: delegation chain or scope fails.</summary>
    DelegationInvalid = 24,

    /// <summary>MCPS-025: verifier fault; the message is rejected (fail closed).</summary>
    InternalError = 25,
}

/// <summary>Formatting and mapping of <see cref="McpsCode"/>.</summary>
public static class McpsCodes
{
    /// <summary>The code as written on the wire: <c>MCPS-004</c>.</summary>
    public static string ToCodeString(this McpsCode code) => $"MCPS-{(int)code:000}";

    /// <summary>The JSON-RPC error code: <c>−33000 − n</c>.</summary>
    public static int ToJsonRpcCode(this McpsCode code) => -33000 - (int)code;

    /// <summary>Parses <c>MCPS-0nn</c>; returns false for anything else.</summary>
    public static bool TryParse(string? text, out McpsCode code)
    {
        code = default;
        if (text is null || text.Length != 8 || !text.StartsWith("MCPS-", StringComparison.Ordinal)
            || !int.TryParse(text.AsSpan(5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            || !Enum.IsDefined(typeof(McpsCode), n))
        {
            return false;
        }

        code = (McpsCode)n;
        return true;
    }

    /// <summary>The standard human-readable message of a code (never contains secrets or exception text).</summary>
    public static string DefaultMessage(this McpsCode code) => code switch
    {
        McpsCode.InvalidPassport => "Invalid passport format",
        McpsCode.PassportExpired => "Passport expired",
        McpsCode.PassportRevoked => "Passport revoked",
        McpsCode.InvalidSignature => "Invalid message signature",
        McpsCode.ReplayDetected => "Replay attack detected",
        McpsCode.TimestampOutOfWindow => "Timestamp out of window",
        McpsCode.AuthorityUnreachable => "Trust authority unreachable",
        McpsCode.ToolIntegrityFailed => "Tool signature mismatch",
        McpsCode.InsufficientTrust => "Insufficient trust level",
        McpsCode.RateLimited => "Rate limit exceeded",
        McpsCode.OriginMismatch => "Origin mismatch",
        McpsCode.CapabilityMismatch => "Transcript binding verification failed",
        McpsCode.PassportTooLarge => "Passport exceeds maximum size",
        McpsCode.ChainTooDeep => "Issuer chain exceeds maximum depth",
        McpsCode.VersionMismatch => "No mutually supported MCPS version",
        McpsCode.InputLimitExceeded => "Input exceeds size or depth limit",
        McpsCode.NonCanonicalInput => "Input cannot be canonicalised",
        McpsCode.PolicyDenied => "Denied by policy",
        McpsCode.SanctionsMatch => "Sanctions screening match",
        McpsCode.AttestationFailed => "Attestation failed",
        McpsCode.CodeAttestationMismatch => "Runtime code attestation mismatch",
        McpsCode.ReceiptInvalid => "Receipt invalid",
        McpsCode.AuditChainBroken => "Audit chain broken",
        McpsCode.DelegationInvalid => "Delegation invalid",
        McpsCode.InternalError => "Internal verifier error",
        _ => "Unknown error",
    };
}
