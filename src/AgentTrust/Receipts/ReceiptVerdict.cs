using AgentTrust.Errors;

namespace AgentTrust.Receipts;

/// <summary>How a receipt is verified (receipts.md §5.2).</summary>
public enum ReceiptVerificationMode
{
    /// <summary>A server accepting evidence now: anchored keys, expected version, time window, expiry, replay.</summary>
    Live = 0,

    /// <summary>An auditor, later: version dispatch, key status as of the receipt's time, no window, expiry reported only, no replay.</summary>
    Forensic = 1,
}

/// <summary>How far a valid verdict can be trusted.</summary>
public enum ReceiptTrustLevel
{
    /// <summary>Every signature verified with keys from a trust anchor (and, for v4 in forensic mode, the time is anchored).</summary>
    Trusted = 0,

    /// <summary>The signatures verify with the keys the receipt itself names; nobody vouches for those keys.</summary>
    SelfConsistent = 1,

    /// <summary>v4 forensic: the keys are anchored, but no audit anchor proves the receipt existed before a token expired.</summary>
    Unanchored = 2,
}

/// <summary>
/// The result of verifying a receipt or token: <see cref="Valid"/>, the trust <see cref="Level"/>, the mode used,
/// the version, and on failure the code (MCPS-022 receipt, MCPS-024 delegation) with a machine-readable reason.
/// A valid verdict is only as strong as its level: <see cref="ReceiptTrustLevel.SelfConsistent"/> is never <c>Trusted</c>.
/// </summary>
/// <param name="Valid">True when every check passed.</param>
/// <param name="Level">The trust level reached (meaningful when valid).</param>
/// <param name="Mode">The mode used.</param>
/// <param name="Version">The receipt version (0 when unknown).</param>
/// <param name="Code">The failure code, or null when valid.</param>
/// <param name="Reason">The failure reason (<c>bad_signature</c>, <c>id_mismatch</c>, <c>params_hash_mismatch</c>, <c>expired</c>,
/// <c>window</c>, <c>replay</c>, <c>unknown_member</c>, <c>untrusted_key</c>, <c>chain_hash_mismatch</c>, <c>chain_invalid</c>,
/// <c>scope</c>, <c>unsafe_number</c>, <c>malformed</c>, <c>unexpected_version</c>, <c>session_mismatch</c>, <c>call_id_mismatch</c>), or null.</param>
/// <param name="Warnings">Things reported, not enforced (unsigned members, expiry in forensic mode, integrity only).</param>
public sealed record ReceiptVerdict(bool Valid, ReceiptTrustLevel Level, ReceiptVerificationMode Mode, int Version, McpsCode? Code, string? Reason, IReadOnlyList<string> Warnings)
{
    internal static ReceiptVerdict Fail(ReceiptVerificationMode mode, int version, string reason, IReadOnlyList<string> warnings, McpsCode code = McpsCode.ReceiptInvalid)
        => new(false, ReceiptTrustLevel.SelfConsistent, mode, version, code, reason, warnings);
}
