namespace AgentTrust.Replay;

/// <summary>
/// Limits shared by every <see cref="IReplayStore"/> implementation. Defaults follow MCPS §9: one million entries
/// per store, one hundred thousand per partition.
/// </summary>
public sealed class ReplayStoreOptions
{
    /// <summary>The default total capacity (1 000 000 entries).</summary>
    public const long DefaultMaxEntries = 1_000_000;

    /// <summary>The default capacity of one partition (100 000 entries).</summary>
    public const long DefaultMaxEntriesPerPartition = 100_000;

    /// <summary>The default bound on a partition's UTF-8 length (512 bytes: long enough for issuer URLs and keys).</summary>
    public const int DefaultMaxPartitionBytes = 512;

    /// <summary>The default bound on a value's UTF-8 length (256 bytes; MCPS nonces are 32, <c>jti</c>s at most 128).</summary>
    public const int DefaultMaxValueBytes = 256;

    /// <summary>The most entries the store holds; beyond it registrations get <see cref="ReplayCheckResult.CapacityExceeded"/>.</summary>
    public long MaxEntries { get; init; } = DefaultMaxEntries;

    /// <summary>The most entries one partition holds, so one signer cannot fill the store for everyone.</summary>
    public long MaxEntriesPerPartition { get; init; } = DefaultMaxEntriesPerPartition;

    /// <summary>The longest accepted partition, in UTF-8 bytes (checked before storage is touched).</summary>
    public int MaxPartitionBytes { get; init; } = DefaultMaxPartitionBytes;

    /// <summary>The longest accepted value, in UTF-8 bytes (checked before storage is touched).</summary>
    public int MaxValueBytes { get; init; } = DefaultMaxValueBytes;

    /// <summary>The default options.</summary>
    public static ReplayStoreOptions Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a limit is not positive.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxEntries);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxEntriesPerPartition);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxPartitionBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxValueBytes);
    }
}
