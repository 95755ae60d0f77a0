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
    /// True when the authority refused a head and its signed record of the log confirms the refusal: it anchored a higher
    /// or different head (a fork, or a cut tail: the local log diverged from what the authority saw), or, with
    /// <see cref="ClaimedByAnotherKey"/>, the log is bound to another key. Automatic anchoring stops; the log needs an
    /// audit. An unconfirmed refusal (an unsigned error from anything on the path) is only a failure, retried.
    /// </summary>
    public bool Refused { get; init; }

    /// <summary>
    /// True when the authority refused the head because another key deposited this log id first (<c>wrong_submitter</c>):
    /// a security alert (someone else claimed this log at the authority), not a fork. <see cref="Refused"/> is true too.
    /// </summary>
    public bool ClaimedByAnotherKey { get; init; }
}
