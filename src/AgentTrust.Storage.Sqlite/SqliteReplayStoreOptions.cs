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
    /// How often a background thread copies the write-ahead log back into the database file, when anything was written
    /// (default 1 s). Registrations never do it themselves.
    /// </summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// When true (the default) every accepted value is on disk before <see cref="ReplayCheckResult.Accepted"/> is
    /// returned (<c>synchronous=FULL</c>), so even a power loss cannot reopen a replay window. False uses
    /// <c>synchronous=NORMAL</c> (no device flush per registration; still safe against a process crash) with a restart
    /// fence: the store records the machine's boot id, and the first open after a reboot sets
    /// <see cref="SqliteReplayStore.RestartFence"/>, before which registrations may have been lost; verifiers refuse
    /// messages dated before it. Where no boot id can be read, false is ignored (commits stay durable; see
    /// <see cref="SqliteReplayStore.CommitsAreDurable"/>).
    /// </summary>
    public bool DurableCommits { get; init; } = true;

    /// <summary>
    /// Reads the machine's boot id (an identifier that changes on every boot), or null where there is none. Default:
    /// <c>/proc/sys/kernel/random/boot_id</c> on Linux, null elsewhere. Replaceable for tests.
    /// </summary>
    public Func<string?> BootIdSource { get; init; } = MachineBootId.Read;
}
