using AgentTrust.Cryptography;
using AgentTrust.Receipts;

namespace AgentTrust.Audit;

/// <summary>What <see cref="AuditVerifier"/> checks.</summary>
public sealed record AuditVerificationOptions
{
    /// <summary>Also verify every receipt's signature (forensic mode); otherwise only the hash chain and anchors.</summary>
    public bool Signatures { get; init; }

    /// <summary>Trust anchors for the signature sweep; without them valid receipts are only self-consistent.</summary>
    public IReceiptTrustAnchors? TrustAnchors { get; init; }

    /// <summary>
    /// Resolves a signer key (<c>kid</c>, <c>ed25519:…</c>) to its 32-byte seed for Signet's encrypted params, or null.
    /// Without it such records are counted as <see cref="AuditVerificationReport.EncryptedUnverified"/> and reported in
    /// <see cref="AuditVerificationReport.FirstUnverifiable"/>: the report is then not valid.
    /// </summary>
    public Func<string, byte[]?>? ParamsSeedResolver { get; init; }

    /// <summary>
    /// The keys anchors must be signed by, pinned independently of the anchors (a Trust Authority's anchor key, a local
    /// checkpoint key from the key store). When set, an anchor signed by any other key is a break (<c>anchor_untrusted</c>).
    /// When empty, local anchors are still matched against the chain but count as unpinned (warning <c>anchors_unpinned</c>),
    /// because whoever can cut the tail can also delete them or sign new ones.
    /// </summary>
    public IReadOnlyList<VerificationKey>? AnchorKeys { get; init; }

    /// <summary>
    /// Anchors of this log held by the Trust Authority (its record, fetched by the caller for <see cref="AuditVerifier.ReadLogId"/>).
    /// They must be signed by a key in <see cref="AnchorKeys"/>; the chain must reach the highest of them even when the
    /// local anchors were deleted.
    /// </summary>
    public IReadOnlyList<AuditAnchor>? AuthorityAnchors { get; init; }

    /// <summary>Check the signed checkpoints in <c>anchors/</c> and <see cref="AuthorityAnchors"/> (default true).</summary>
    public bool CheckAnchors { get; init; } = true;

    /// <summary>Progress reports (about every 10 000 records and at the end).</summary>
    public IProgress<AuditVerificationProgress>? Progress { get; init; }

    /// <summary>The clock for the signature sweep.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>Progress of a verification.</summary>
/// <param name="RecordsVerified">Records checked so far.</param>
/// <param name="BytesRead">Bytes read so far.</param>
/// <param name="TotalBytes">Total bytes of the log files.</param>
public sealed record AuditVerificationProgress(long RecordsVerified, long BytesRead, long TotalBytes);
