using AgentTrust.Cryptography;

namespace AgentTrust.Audit;

/// <summary>
/// Automatic anchoring of an <see cref="AuditLog"/> at a Trust Authority (receipts.md §7.6): every
/// <see cref="EveryRecords"/> records or <see cref="Interval"/> (whichever first) and at shutdown, the latest durable head
/// is deposited in the background and the verified anchor stored in <c>anchors/</c>. Set on
/// <see cref="AuditLogOptions.Anchoring"/>.
/// </summary>
public sealed record AuditAnchoringOptions
{
    /// <summary>The authority heads are deposited at (<see cref="TrustAuthority.TrustAuthorityAuditAnchors"/>).</summary>
    public required IAuditAnchorAuthority Authority { get; init; }

    /// <summary>
    /// The authority's Ed25519 anchor key, pinned independently of its answers. Every returned anchor must be signed by it.
    /// When null, <see cref="IAuditAnchorAuthority.GetAnchorKeyAsync"/> supplies it (trust on first use).
    /// </summary>
    public VerificationKey? AnchorKey { get; init; }

    /// <summary>Anchor once this many records were appended since the last anchor. Default 100.</summary>
    public int EveryRecords { get; init; } = 100;

    /// <summary>Anchor new records at least this often. Default 60 s.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The first wait after a failed attempt; it doubles per failure up to <see cref="MaxRetryDelay"/>. Default 1 s.</summary>
    public TimeSpan MinRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between attempts. Default 60 s.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long closing the log may spend anchoring the final head (with retries). Default 10 s.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Called (on the anchoring task) after every attempt with the new status, so a host can log it. It must not block;
    /// an exception it throws is ignored.
    /// </summary>
    public Action<AuditAnchoringStatus>? StatusChanged { get; init; }
}
