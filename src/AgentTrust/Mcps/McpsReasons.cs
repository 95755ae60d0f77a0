namespace AgentTrust.Mcps;

/// <summary>The closed set of reason strings carried in <c>error.data.reason</c> (mcps.md §13).</summary>
public static class McpsReasons
{
#pragma warning disable CS1591 // The names are the documentation: each constant is its own wire value.
    public const string TooLarge = "too_large";
    public const string TooDeep = "too_deep";
    public const string DuplicateMember = "duplicate_member";
    public const string LoneSurrogate = "lone_surrogate";
    public const string InvalidUtf8 = "invalid_utf8";
    public const string UnsafeNumber = "unsafe_number";
    public const string ForeignFormat = "foreign_format";
    public const string MissingEnvelope = "missing_envelope";
    public const string AmbiguousEnvelope = "ambiguous_envelope";
    public const string BadMeta = "bad_meta";
    public const string BadField = "bad_field";
    public const string UnsupportedVersion = "unsupported_version";
    public const string BadPassportId = "bad_passport_id";
    public const string BadNonce = "bad_nonce";
    public const string BadTimestamp = "bad_timestamp";
    public const string TooOld = "too_old";
    public const string TooNew = "too_new";
    public const string BeforeRestartFence = "before_restart_fence";
    public const string BadSignatureEncoding = "bad_signature_encoding";
    public const string HighS = "high_s";
    public const string SignatureMismatch = "signature_mismatch";
    public const string ReplyMismatch = "reply_mismatch";
    public const string UnknownPassport = "unknown_passport";
    public const string UntrustedChain = "untrusted_chain";
    public const string ChainCycle = "chain_cycle";
    public const string TooManyCapabilities = "too_many_capabilities";
    public const string BadValidity = "bad_validity";
    public const string AudienceMismatch = "audience_mismatch";
    public const string OriginMismatch = "origin_mismatch";
    public const string Revoked = "revoked";
    public const string StatusUnavailable = "status_unavailable";
    public const string Replay = "replay";
    public const string NonceStoreFull = "nonce_store_full";
    public const string TranscriptPending = "transcript_pending";
    public const string Downgrade = "downgrade";
    public const string ToolSignatureMismatch = "tool_signature_mismatch";
    public const string PinMismatch = "pin_mismatch";
    public const string UnpinnedTool = "unpinned_tool";
    public const string Unsigned = "unsigned";
    public const string DeceptiveText = "deceptive_text";
    public const string ToolRemoved = "tool_removed";
    public const string ServerPassportMismatch = "server_passport_mismatch";
    public const string SessionSignerMismatch = "session_signer_mismatch";
    public const string Expired = "expired";
    public const string InsufficientTrust = "insufficient_trust";
    public const string RuntimeMismatch = "runtime_mismatch";
    public const string Internal = "internal_error";
#pragma warning restore CS1591
}
