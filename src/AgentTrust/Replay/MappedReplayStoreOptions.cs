namespace AgentTrust.Replay;

/// <summary>Where and how a <see cref="MappedReplayStore"/> keeps its entries.</summary>
public sealed class MappedReplayStoreOptions
{
    /// <summary>The most entries one table file can be made for (10 000 000: about 1.1 GB of file).</summary>
    public const long MaxTableEntries = 10_000_000;

    /// <summary>
    /// The table file (created when missing, with mode 0600). Every process that opens the same file shares the
    /// entries. Its size is fixed at creation by <see cref="ReplayStoreOptions.MaxEntries"/>: about 116 bytes per entry
    /// of capacity (116 MB for the default million), allocated on disk then, so that a full disk is an error at open
    /// rather than a fault in the middle of a registration.
    /// </summary>
    public required string FilePath { get; init; }

    /// <summary>
    /// Capacity and key limits; <see cref="ReplayStoreOptions.Default"/> unless set. A file is made for the
    /// <see cref="ReplayStoreOptions.MaxEntries"/> of its creator; a later opener may ask for fewer, never more.
    /// </summary>
    public ReplayStoreOptions Limits { get; init; } = ReplayStoreOptions.Default;

    /// <summary>How long a registration waits for another process holding the table before answering
    /// <see cref="ReplayCheckResult.StoreUnavailable"/> (default 5 s).</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Reads the machine's boot id, or null where there is none (then the store cannot be opened). Default:
    /// <see cref="MachineBootId.Read"/>. Replaceable for tests.
    /// </summary>
    public Func<string?> BootIdSource { get; init; } = MachineBootId.Read;
}
