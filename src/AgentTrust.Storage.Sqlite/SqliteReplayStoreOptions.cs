using AgentTrust.Replay;

namespace AgentTrust.Storage.Sqlite;

/// <summary>Where and how a <see cref="SqliteReplayStore"/> keeps its entries.</summary>
public sealed class SqliteReplayStoreOptions
{
    /// <summary>The database file (created when missing). Every process that opens the same file shares the entries.</summary>
    public required string DatabasePath { get; init; }

    /// <summary>Capacity and key limits; <see cref="ReplayStoreOptions.Default"/> unless set.</summary>
    public ReplayStoreOptions Limits { get; init; } = ReplayStoreOptions.Default;

    /// <summary>How long a registration waits for another process's write lock before answering
    /// <see cref="ReplayCheckResult.StoreUnavailable"/> (default 5 s).</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often a registration also deletes one batch of expired rows (default 30 s).</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The most expired rows one sweep deletes, bounding the time any single caller pays (default 5000).</summary>
    public int SweepBatchSize { get; init; } = 5000;

    /// <summary>
    /// When true (the default) every accepted value is on disk before <see cref="ReplayCheckResult.Accepted"/> is
    /// returned (<c>synchronous=FULL</c>), so even a power loss cannot reopen a replay window. False uses
    /// <c>synchronous=NORMAL</c>: faster, still safe against a process crash, but the last registrations can be lost
    /// when the machine loses power.
    /// </summary>
    public bool DurableCommits { get; init; } = true;
}
