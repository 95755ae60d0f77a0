namespace AgentTrust.Audit;

/// <summary>Where and how an <see cref="AuditLog"/> writes.</summary>
public sealed record AuditLogOptions
{
    /// <summary>The log directory (one chain per directory), e.g. <c>~/.agenttrust/audit</c>.</summary>
    public required string Directory { get; init; }

    /// <summary>The clock that names files by UTC append date.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The largest number of records written under one lock and one fsync (group commit). Default 4096.</summary>
    public int MaxBatch { get; init; } = 4096;

    /// <summary>Anchor the log at a Trust Authority automatically (receipts.md §7.6); null (default) for none.</summary>
    public AuditAnchoringOptions? Anchoring { get; init; }
}
