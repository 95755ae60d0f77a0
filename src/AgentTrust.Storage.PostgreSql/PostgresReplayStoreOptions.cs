using AgentTrust.Replay;

namespace AgentTrust.Storage.PostgreSql;

/// <summary>How a <see cref="PostgresReplayStore"/> behaves.</summary>
public sealed class PostgresReplayStoreOptions
{
    /// <summary>Capacity and key limits; <see cref="ReplayStoreOptions.Default"/> unless set.</summary>
    public ReplayStoreOptions Limits { get; init; } = ReplayStoreOptions.Default;

    /// <summary>How often a registration made through this instance also deletes one batch of expired rows (default 30 s).</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The most expired rows one sweep deletes (default 5000).</summary>
    public int SweepBatchSize { get; init; } = 5000;
}
