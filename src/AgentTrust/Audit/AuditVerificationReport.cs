using AgentTrust.Errors;

namespace AgentTrust.Audit;

/// <summary>The first broken record: where (file, 1-based line in that file, record number in the chain) and why.</summary>
/// <param name="File">The file (for an anchor held by the Trust Authority: <see cref="AuditVerifier.AuthoritySource"/>).</param>
/// <param name="Line">The 1-based line in the file.</param>
/// <param name="RecordNumber">The 1-based position in the chain.</param>
/// <param name="Code">MCPS-023 for the chain and anchors, MCPS-022/024 for a receipt.</param>
/// <param name="Reason"><c>prev_hash_mismatch</c>, <c>record_hash_mismatch</c>, <c>unparsable</c>, <c>unterminated_line</c>,
/// <c>tail_truncated</c>, <c>anchor_mismatch</c>, <c>anchor_invalid</c>, <c>anchor_bad_signature</c>, <c>anchor_untrusted</c>
/// (signed by a key that is not pinned; <see cref="Actual"/> is that key), or a receipt verdict reason such as
/// <c>bad_signature</c> (for <see cref="AuditVerificationReport.FirstUnverifiable"/>: <c>params_encrypted_unverifiable</c>).</param>
/// <param name="Expected">The expected hash (or log id), where one applies.</param>
/// <param name="Actual">The stored hash (or log id, or key), where one applies.</param>
public sealed record AuditBreak(string File, long Line, long RecordNumber, McpsCode Code, string Reason, string? Expected, string? Actual);

/// <summary>The result of verifying a log.</summary>
/// <param name="Valid">True when the chain and anchors verify and, if signatures were asked for, every signature was
/// checked and verified: a record that could not be checked (<see cref="FirstUnverifiable"/>) makes the report not valid.</param>
/// <param name="RecordCount">Records walked (up to the first break).</param>
/// <param name="LogId">The first record's hash.</param>
/// <param name="HeadHash">The last verified record's hash.</param>
/// <param name="SignaturesVerified">Receipts whose signatures verified.</param>
/// <param name="TrustedSignatures">Of those, verified with anchored keys.</param>
/// <param name="UnsignedRecords">Records without a signer (Signet <c>policy_violation</c>): reported, not failures.</param>
/// <param name="EncryptedUnverified">Receipts with encrypted params that could not be decrypted, so not signature-checked
/// (unverifiable: the report is not valid).</param>
/// <param name="AnchorsChecked">Record counts where an anchor signed by a pinned key matched the chain.</param>
/// <param name="FirstBreak">The first broken record, or null.</param>
/// <param name="Warnings">Things reported but not failures.</param>
public sealed record AuditVerificationReport(
    bool Valid,
    long RecordCount,
    string? LogId,
    string HeadHash,
    long SignaturesVerified,
    long TrustedSignatures,
    long UnsignedRecords,
    long EncryptedUnverified,
    long AnchorsChecked,
    AuditBreak? FirstBreak,
    IReadOnlyList<string> Warnings)
{
    /// <summary>
    /// The first record whose signature could not be checked at all (Signet's encrypted params without the signer's seed:
    /// MCPS-022, <c>params_encrypted_unverifiable</c>), or null. Not a break (the walk goes on), but not verified either.
    /// </summary>
    public AuditBreak? FirstUnverifiable { get; init; }
}
