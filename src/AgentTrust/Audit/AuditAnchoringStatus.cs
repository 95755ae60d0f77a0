using AgentTrust.Errors;

namespace AgentTrust.Audit;

/// <summary>Where automatic anchoring of an <see cref="AuditLog"/> stands (<see cref="AuditLog.AnchoringStatus"/>).</summary>
public sealed record AuditAnchoringStatus
{
    /// <summary>The durable (fsynced) record count of the log.</summary>
    public long DurableRecordCount { get; init; }

    /// <summary>The record count of the latest anchor stored by this writer; 0 before the first.</summary>
    public long AnchoredRecordCount { get; init; }

    /// <summary>The file of the latest anchor stored by this writer.</summary>
    public string? AnchorFile { get; init; }

    /// <summary>Failed attempts since the last success (the authority unreachable, or its answer did not verify).</summary>
    public int ConsecutiveFailures { get; init; }

    /// <summary>The MCPS code of the last failure or refusal; null after a success.</summary>
    public McpsCode? LastFailureCode { get; init; }

    /// <summary>The reason of the last failure or refusal (for example <c>status_unavailable</c>, <c>anchor_untrusted</c>, <c>fork</c>).</summary>
    public string? LastFailureReason { get; init; }

    /// <summary>
    /// True when the authority refused a head because it anchored a higher or different one for this log (a fork, or a
    /// cut tail): the local log diverged from what the authority saw. Automatic anchoring stops; the log needs an audit.
    /// </summary>
    public bool Refused { get; init; }
}
