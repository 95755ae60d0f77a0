using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace AgentTrust.Replay;

/// <summary>
/// An <see cref="IReplayStore"/> in a table file mapped into the memory of every process that opens it (Linux): a
/// registration is a few memory reads and writes under a file lock, microseconds where a database commit takes tens.
/// Its guarantees are those of a database that does not flush each commit: an acknowledged registration survives the
/// crash of any process (it is in the kernel's page cache, which the file shares), not the crash of the machine, so the
/// store keeps a restart fence (<see cref="RestartFence"/>): the first open after a reboot empties the table and
/// records the instant, and verifiers refuse messages dated before it.
/// </summary>
/// <remarks>
/// <para>
/// Entries are keyed by an HMAC-SHA-256 of the partition and the value under a random key kept in the file (mode 0600):
/// the key places each entry in one of two buckets of sixteen slots (the emptier one) and its other 128 bits tell
/// entries apart. Nobody without the key can aim values at one bucket. Holders are kept as 128-bit HMACs too, so a
/// replay reports its holder only when it is the one presenting now (<see cref="ReplayRegistration.IsReplayBy"/>
/// needs no more). The capacity bounds are exact: counts per partition and in all, and a min-heap by expiry that
/// reclaims expired entries a few per registration, and all of them before a full store answers
/// <see cref="ReplayCheckResult.CapacityExceeded"/>. The table is made with twice as many slots as entries, so a
/// bucket pair fills before the store does only with negligible probability (a refusal then, never an eviction).
/// </para>
/// <para>
/// A writer marks the table busy for the length of its update. A process that dies inside one leaves the mark, and the
/// next holder of the lock rebuilds the counts and the heap from the slots, whose expiry is written last. Every index
/// read from the file is checked against the table's bounds; a file that fails a check makes registrations answer
/// <see cref="ReplayCheckResult.StoreUnavailable"/> (fail closed), never touch memory outside the table.
/// </para>
/// <para>One instance per process (or per component), shared between threads.</para>
/// </remarks>
public sealed unsafe partial class MappedReplayStore : IReplayStore, IDisposable
{
    private const ulong Magic = 0x3159_414C_5052_5441; // "ATRPLAY1", little-endian
    private const int FormatVersion = 1;
    internal const int HeaderBytes = 4096;
    internal const int SlotBytes = 48;
    private const int SlotsPerBucket = 16;
    private const int PartitionSlotBytes = 32;
    private const int PartitionSlotsPerBucket = 8;
    private const int HeapNodeBytes = 16;
    private const long MaxPartitions = 65_536;
    private const long HeapSlack = 1024;
    private const int ReclaimBudgetPerCall = 8;
    private const int KeyBytes = 32;
    private const int MaxCachedPartitions = 4096;

    // Header fields (offsets in the first page).
    private const int MagicAt = 0;
    private const int VersionAt = 8;
    private const int SlotsPerBucketAt = 12;
    private const int BucketsAt = 16;
    private const int PartitionBucketsAt = 24;
    private const int HeapCapacityAt = 32;
    private const int MadeForEntriesAt = 40;
    private const int KeyAt = 48;
    private const int BootAt = 80;
    private const int FenceAt = 112;
    internal const int TotalAt = 120;
    internal const int HeapSizeAt = 128;
    internal const int BusyAt = 136;

    // A slot: expiry (Unix ms, 0 = free), partition index, flags, entry tag, holder tag.
    internal const int SlotExpiryAt = 0;
    internal const int SlotPartitionAt = 8;
    private const int SlotFlagsAt = 12;
    private const int SlotTagAt = 16;
    private const int SlotHolderAt = 32;
    private const int HasHolder = 1;

    // A partition slot: live entries (0 = free), tag.
    private const int PartitionCountAt = 0;
    private const int PartitionTagAt = 8;

    // Domain bytes of the three HMAC inputs.
    private const byte EntryDomain = 1;
    private const byte PartitionDomain = 2;
    private const byte HolderDomain = 3;

    private readonly Lock _gate = new();

    // Partition digests by partition (few distinct: one per signer), so a registration computes one HMAC, not two.
    private readonly Dictionary<string, byte[]> _partitionDigests = new(StringComparer.Ordinal);
    private readonly FileStream _file;
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly FileDescriptionLock _fileLock;
    private readonly MappedReplayStoreOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly byte[] _key;

    // One HMAC context for the life of the store (used under _gate): a one-shot HMAC allocates and frees one per call.
    private readonly IncrementalHash _hmac;
    private readonly Geometry _geometry;
    private byte* _base;
    private bool _disposed;

    private MappedReplayStore(FileStream file, MemoryMappedFile map, MemoryMappedViewAccessor view, FileDescriptionLock fileLock, MappedReplayStoreOptions options, TimeProvider timeProvider, Geometry geometry, DateTimeOffset? fence)
    {
        _file = file;
        _map = map;
        _view = view;
        _fileLock = fileLock;
        _options = options;
        _timeProvider = timeProvider;
        _geometry = geometry;
        RestartFence = fence;
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + view.PointerOffset;
        _key = Table.Slice(KeyAt, KeyBytes).ToArray();
        _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
    }

    /// <summary>
    /// Registrations made before this instant may have been lost by an unclean restart of the machine; callers must
    /// refuse messages dated at or before it (plus their future skew). Set by the first open after a reboot (every
    /// process opening the file during that boot sees the same instant), and by the opener that finds a file it did not
    /// create without a table in it. Null when nothing can have been lost.
    /// </summary>
    public DateTimeOffset? RestartFence { get; }

    /// <summary>
    /// True where this store can be opened: 64-bit Linux (its lock is an OFD record lock laid out for 64-bit file
    /// offsets). It also needs the machine's boot id (<see cref="MachineBootId.Read"/>).
    /// </summary>
    [System.Runtime.Versioning.SupportedOSPlatformGuard("linux")]
    public static bool IsSupported => OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    private Span<byte> Table => new(_base, checked((int)_geometry.FileLength));

    /// <summary>
    /// Opens the table file, creating it when missing, and empties it with a restart fence when it was last used
    /// during another boot of the machine.
    /// </summary>
    /// <param name="options">The file and limits.</param>
    /// <param name="timeProvider">The clock deciding what has expired; <see cref="TimeProvider.System"/> when null.</param>
    /// <returns>The open store; dispose it to unmap and close the file.</returns>
    /// <exception cref="PlatformNotSupportedException">Not 64-bit Linux (<see cref="IsSupported"/>), or no boot id can be read.</exception>
    /// <exception cref="InvalidDataException">The file is not a replay table of this format (it is left untouched).</exception>
    /// <exception cref="InvalidOperationException">The file was made for fewer entries than <see cref="ReplayStoreOptions.MaxEntries"/>.</exception>
    /// <exception cref="IOException">The file cannot be opened, or another process held it past <see cref="MappedReplayStoreOptions.BusyTimeout"/>.</exception>
    public static MappedReplayStore Open(MappedReplayStoreOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.FilePath);
        ArgumentNullException.ThrowIfNull(options.Limits);
        options.Limits.Validate();
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Limits.MaxEntries, MappedReplayStoreOptions.MaxTableEntries);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Limits.MaxPartitionBytes, ushort.MaxValue);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.BusyTimeout, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(options.BootIdSource);
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException("The mapped replay store needs 64-bit Linux (file-description locks and a boot id).");
        }

        var bootId = options.BootIdSource();
        if (string.IsNullOrEmpty(bootId))
        {
            throw new PlatformNotSupportedException("The mapped replay store needs the machine's boot id, and none can be read.");
        }

        timeProvider ??= TimeProvider.System;
        var (file, created) = OpenFile(options.FilePath);
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        MappedReplayStore? store = null;
        try
        {
            var fileLock = new FileDescriptionLock(file.SafeFileHandle);
            if (!fileLock.TryEnter(options.BusyTimeout))
            {
                throw new IOException($"Another process held the replay table '{options.FilePath}' for longer than {options.BusyTimeout.TotalSeconds:0.#} s.");
            }

            try
            {
                var (geometry, fence) = Prepare(file, fileLock, created, options, Hash(bootId), timeProvider.GetUtcNow());
                fileLock.HoldUse();
                map = MemoryMappedFile.CreateFromFile(file, mapName: null, geometry.FileLength, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
                view = map.CreateViewAccessor(0, geometry.FileLength, MemoryMappedFileAccess.ReadWrite);
                store = new MappedReplayStore(file, map, view, fileLock, options, timeProvider, geometry, fence);
                var table = store.Table;
                if (Int64(table, BusyAt) != 0)
                {
                    store.Recover(table);
                }

                return store;
            }
            finally
            {
                fileLock.Exit();
            }
        }
        catch
        {
            if (store is not null)
            {
                store.Dispose();
                throw;
            }

            view?.Dispose();
            map?.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public ValueTask<ReplayCheckResult> TryRegisterAsync(string partition, string value, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Register(partition, value, expiresAt, holder: null).Result);
    }

    /// <inheritdoc />
    public ValueTask<ReplayRegistration> TryRegisterAsync(string partition, string value, DateTimeOffset expiresAt, string? holder, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Register(partition, value, expiresAt, holder));
    }

    /// <inheritdoc />
    public ValueTask<long> PurgeExpiredAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var nowMs = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        return ValueTask.FromResult(Locked(table => Reclaim(table, nowMs, long.MaxValue)));
    }

    /// <inheritdoc />
    public ValueTask<long> CountAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Locked(table => Int64(table, TotalAt)));
    }

    /// <summary>Unmaps and closes the table file (the entries stay in it).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _base = null;
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _map.Dispose();
            _file.Dispose();
            _hmac.Dispose();
            CryptographicOperations.ZeroMemory(_key);
        }
    }

    private ReplayRegistration Register(string partition, string value, DateTimeOffset expiresAt, string? holder)
    {
        var now = _timeProvider.GetUtcNow();
        if (!ReplayKeyRules.IsAcceptable(partition, value, expiresAt, now, _options.Limits) || !ReplayKeyRules.IsAcceptableHolder(holder, _options.Limits))
        {
            return new ReplayRegistration(ReplayCheckResult.InvalidRequest, null);
        }

        var nowMs = now.ToUnixTimeMilliseconds();
        var expiresMs = ReplayKeyRules.ToUnixMillisecondsCeiling(expiresAt);
        Span<byte> entry = stackalloc byte[32];
        Span<byte> holderTag = stackalloc byte[32];
        var deadline = Stopwatch.GetTimestamp() + (long)(_options.BusyTimeout.TotalSeconds * Stopwatch.Frequency);
        if (!_gate.TryEnter(_options.BusyTimeout))
        {
            return new ReplayRegistration(ReplayCheckResult.StoreUnavailable, null);
        }

        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Digest(EntryDomain, partition, value, entry);
            var owner = PartitionDigest(partition);
            if (holder is not null)
            {
                Digest(HolderDomain, holder, null, holderTag);
            }

            var request = new Request(entry, owner, holder is null ? default : holderTag[..16], holder, nowMs, expiresMs);
            try
            {
                if (!EnterTable(Remaining(deadline), out var table))
                {
                    return new ReplayRegistration(ReplayCheckResult.StoreUnavailable, null);
                }

                try
                {
                    var result = RegisterLocked(table, request);
                    Int64(table, BusyAt) = 0;
                    return result;
                }
                finally
                {
                    _fileLock.Exit();
                }
            }
            catch (Exception e) when (IsTableFailure(e))
            {
                // The busy mark stays: the next holder of the lock rebuilds what it can, or fails the same way.
                return new ReplayRegistration(ReplayCheckResult.StoreUnavailable, null);
            }
        }
        finally
        {
            _gate.Exit();
        }
    }

    // Runs an operation on the table under both locks.
    private long Locked(Func<Span<byte>, long> operationOnTable)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                if (!EnterTable(_options.BusyTimeout, out var table))
                {
                    throw new IOException($"Another process held the replay table for longer than {_options.BusyTimeout.TotalSeconds:0.#} s.");
                }

                try
                {
                    var result = operationOnTable(table);
                    Int64(table, BusyAt) = 0;
                    return result;
                }
                finally
                {
                    _fileLock.Exit();
                }
            }
            catch (Exception e) when (IsTableFailure(e) && e is not IOException)
            {
                throw new IOException("The replay table cannot be read: " + e.Message, e);
            }
        }
    }

    // What a damaged table or a failing lock raises (bounds checked by spans and by the index checks): answered as an
    // unavailable store, never let out of a registration.
    private static bool IsTableFailure(Exception e) =>
        e is InvalidDataException or IOException or ArgumentOutOfRangeException or IndexOutOfRangeException or OverflowException;

    private static TimeSpan Remaining(long deadline) =>
        TimeSpan.FromSeconds(Math.Max(0, deadline - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency);

    // Takes the file lock (false when another process held it past the busy timeout), rebuilds the table if a writer
    // died inside an update, and marks it busy: the caller clears the mark when its update is complete, then unlocks.
    private bool EnterTable(TimeSpan timeout, out Span<byte> table)
    {
        table = default;
        if (!_fileLock.TryEnter(timeout))
        {
            return false;
        }

        try
        {
            table = Table;
            ref var busy = ref Int64(table, BusyAt);
            var total = Int64(table, TotalAt);
            var heapSize = Int64(table, HeapSizeAt);
            if (busy != 0 || total < 0 || total > _geometry.Slots || heapSize < 0 || heapSize > _geometry.HeapCapacity)
            {
                Recover(table);
            }

            busy = 1;
            return true;
        }
        catch
        {
            _fileLock.Exit();
            throw;
        }
    }

    private ReplayRegistration RegisterLocked(Span<byte> table, in Request request)
    {
        var geometry = _geometry;
        var bucket1 = BinaryPrimitives.ReadUInt64LittleEndian(request.Entry) % (ulong)geometry.Buckets;
        var bucket2 = BinaryPrimitives.ReadUInt64LittleEndian(request.Entry[8..]) % (ulong)geometry.Buckets;
        var tag = request.Entry.Slice(16, 16);
        var partitionBucket1 = BinaryPrimitives.ReadUInt64LittleEndian(request.Owner) % (ulong)geometry.PartitionBuckets;
        var partitionBucket2 = BinaryPrimitives.ReadUInt64LittleEndian(request.Owner[8..]) % (ulong)geometry.PartitionBuckets;
        var partitionTag = request.Owner.Slice(16, 16);

        // The second attempt comes after every expired entry was reclaimed: a full store answers only then.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            Reclaim(table, request.NowMs, attempt == 0 ? ReclaimBudgetPerCall : long.MaxValue);
            var found = Find(table, bucket1, tag);
            if (found < 0 && bucket2 != bucket1)
            {
                found = Find(table, bucket2, tag);
            }

            if (found >= 0)
            {
                var slot = Slot(table, found);
                ref var expiry = ref Int64(slot, SlotExpiryAt);
                if (expiry > request.NowMs)
                {
                    var sameHolder = request.Holder is not null
                        && (Int32(slot, SlotFlagsAt) & HasHolder) != 0
                        && CryptographicOperations.FixedTimeEquals(slot.Slice(SlotHolderAt, 16), request.HolderTag);
                    return new ReplayRegistration(ReplayCheckResult.Replayed, sameHolder ? request.Holder : null);
                }

                // Expired, not reclaimed yet: re-armed in place (its old heap node goes stale: its expiry no longer matches).
                if (Int64(table, HeapSizeAt) >= geometry.HeapCapacity)
                {
                    continue;
                }

                WriteHolder(slot, request);
                Volatile.Write(ref expiry, request.ExpiresMs);
                Push(table, request.ExpiresMs, found);
                return new ReplayRegistration(ReplayCheckResult.Accepted, request.Holder);
            }

            if (Int64(table, TotalAt) >= _options.Limits.MaxEntries || Int64(table, HeapSizeAt) >= geometry.HeapCapacity)
            {
                continue;
            }

            var partition = FindPartition(table, partitionBucket1, partitionBucket2, partitionTag, out var isNewPartition);
            if (partition < 0 || (!isNewPartition && Int64(PartitionSlot(table, partition), PartitionCountAt) >= _options.Limits.MaxEntriesPerPartition))
            {
                continue;
            }

            var free = FreeSlot(table, bucket1, bucket2);
            if (free < 0)
            {
                continue;
            }

            var owner = PartitionSlot(table, partition);
            if (isNewPartition)
            {
                partitionTag.CopyTo(owner.Slice(PartitionTagAt, 16));
            }

            // The expiry last: a writer that dies before it leaves a free slot, one that dies after leaves the busy mark,
            // and the counts are rebuilt from the slots.
            var target = Slot(table, free);
            tag.CopyTo(target.Slice(SlotTagAt, 16));
            Int32(target, SlotPartitionAt) = partition;
            WriteHolder(target, request);
            Volatile.Write(ref Int64(target, SlotExpiryAt), request.ExpiresMs);
            Int64(owner, PartitionCountAt)++;
            Int64(table, TotalAt)++;
            Push(table, request.ExpiresMs, free);
            return new ReplayRegistration(ReplayCheckResult.Accepted, request.Holder);
        }

        return new ReplayRegistration(ReplayCheckResult.CapacityExceeded, null);
    }

    private static void WriteHolder(Span<byte> slot, in Request request)
    {
        if (request.Holder is null)
        {
            Int32(slot, SlotFlagsAt) = 0;
            slot.Slice(SlotHolderAt, 16).Clear();
        }
        else
        {
            Int32(slot, SlotFlagsAt) = HasHolder;
            request.HolderTag.CopyTo(slot.Slice(SlotHolderAt, 16));
        }
    }

    // The occupied slot of 'bucket' holding 'tag', or -1.
    private int Find(Span<byte> table, ulong bucket, ReadOnlySpan<byte> tag)
    {
        var first = checked((int)bucket * SlotsPerBucket);
        for (var i = first; i < first + SlotsPerBucket; i++)
        {
            var slot = Slot(table, i);
            if (Int64(slot, SlotExpiryAt) != 0 && slot.Slice(SlotTagAt, 16).SequenceEqual(tag))
            {
                return i;
            }
        }

        return -1;
    }

    // A free slot of the emptier of the two buckets, or -1 when both are full.
    private int FreeSlot(Span<byte> table, ulong bucket1, ulong bucket2)
    {
        var (free1, used1) = FreeSlotOf(table, bucket1);
        var (free2, used2) = FreeSlotOf(table, bucket2);
        if (free1 < 0)
        {
            return free2;
        }

        return free2 < 0 || used1 <= used2 ? free1 : free2;
    }

    private (int Free, int Used) FreeSlotOf(Span<byte> table, ulong bucket)
    {
        var first = checked((int)bucket * SlotsPerBucket);
        var free = -1;
        var used = 0;
        for (var i = first; i < first + SlotsPerBucket; i++)
        {
            if (Int64(Slot(table, i), SlotExpiryAt) != 0)
            {
                used++;
            }
            else if (free < 0)
            {
                free = i;
            }
        }

        return (free, used);
    }

    // The partition slot holding 'tag' with live entries, else a free one of the emptier of its two buckets (isNew), else -1.
    private int FindPartition(Span<byte> table, ulong bucket1, ulong bucket2, ReadOnlySpan<byte> tag, out bool isNew)
    {
        isNew = false;
        var free = -1;
        var fewestUsed = int.MaxValue;
        foreach (var bucket in (ReadOnlySpan<ulong>)[bucket1, bucket2])
        {
            var first = checked((int)bucket * PartitionSlotsPerBucket);
            var freeHere = -1;
            var used = 0;
            for (var i = first; i < first + PartitionSlotsPerBucket; i++)
            {
                var slot = PartitionSlot(table, i);
                if (Int64(slot, PartitionCountAt) == 0)
                {
                    freeHere = freeHere < 0 ? i : freeHere;
                }
                else if (slot.Slice(PartitionTagAt, 16).SequenceEqual(tag))
                {
                    return i;
                }
                else
                {
                    used++;
                }
            }

            if (freeHere >= 0 && used < fewestUsed)
            {
                free = freeHere;
                fewestUsed = used;
            }
        }

        isNew = free >= 0;
        return free;
    }

    // Pops heap nodes whose expiry has passed, at most 'budget'; frees the slots they still describe (a node is stale
    // when its slot was re-armed with a later expiry). Returns the entries removed.
    private long Reclaim(Span<byte> table, long nowMs, long budget)
    {
        long removed = 0;
        ref var heapSize = ref Int64(table, HeapSizeAt);
        while (budget-- > 0 && heapSize > 0 && Int64(HeapNode(table, 0), 0) <= nowMs)
        {
            var root = HeapNode(table, 0);
            var expiry = Int64(root, 0);
            var slotIndex = CheckedSlotIndex(Int64(root, 8));
            PopRoot(table);
            var slot = Slot(table, slotIndex);
            var slotExpiry = Int64(slot, SlotExpiryAt);
            if (slotExpiry == 0 || slotExpiry != expiry)
            {
                continue;
            }

            var partition = CheckedPartitionIndex(Int32(slot, SlotPartitionAt));
            Volatile.Write(ref Int64(slot, SlotExpiryAt), 0);
            Int64(PartitionSlot(table, partition), PartitionCountAt)--;
            Int64(table, TotalAt)--;
            removed++;
        }

        return removed;
    }

    private void Push(Span<byte> table, long expiry, int slotIndex)
    {
        ref var heapSize = ref Int64(table, HeapSizeAt);
        var i = checked((int)heapSize);
        heapSize++;
        while (i > 0)
        {
            var parent = (i - 1) / 2;
            var parentNode = HeapNode(table, parent);
            if (Int64(parentNode, 0) <= expiry)
            {
                break;
            }

            parentNode.CopyTo(HeapNode(table, i));
            i = parent;
        }

        var node = HeapNode(table, i);
        Int64(node, 0) = expiry;
        Int64(node, 8) = slotIndex;
    }

    private void PopRoot(Span<byte> table)
    {
        ref var heapSize = ref Int64(table, HeapSizeAt);
        var last = checked((int)--heapSize);
        if (last > 0)
        {
            SiftDown(table, last, 0, last);
        }
    }

    // Places the node now at 'from' at 'start' and moves it down the heap of 'size' nodes to where it belongs.
    private void SiftDown(Span<byte> table, int from, int start, int size)
    {
        Span<byte> moving = stackalloc byte[HeapNodeBytes];
        HeapNode(table, from).CopyTo(moving);
        var expiry = Int64(moving, 0);
        var i = start;
        while (true)
        {
            var child = (2 * i) + 1;
            if (child >= size)
            {
                break;
            }

            if (child + 1 < size && Int64(HeapNode(table, child + 1), 0) < Int64(HeapNode(table, child), 0))
            {
                child++;
            }

            var childNode = HeapNode(table, child);
            if (Int64(childNode, 0) >= expiry)
            {
                break;
            }

            childNode.CopyTo(HeapNode(table, i));
            i = child;
        }

        moving.CopyTo(HeapNode(table, i));
    }

    // Rebuilds the counts and the heap from the slots, after a writer died inside an update (the busy mark was left).
    private void Recover(Span<byte> table)
    {
        var geometry = _geometry;
        for (var p = 0; p < geometry.PartitionSlots; p++)
        {
            Int64(PartitionSlot(table, p), PartitionCountAt) = 0;
        }

        long total = 0;
        for (var i = 0; i < geometry.Slots; i++)
        {
            var slot = Slot(table, i);
            var expiry = Int64(slot, SlotExpiryAt);
            if (expiry == 0)
            {
                continue;
            }

            if (total >= geometry.HeapCapacity)
            {
                throw new InvalidDataException("The replay table holds more entries than its heap.");
            }

            Int64(PartitionSlot(table, CheckedPartitionIndex(Int32(slot, SlotPartitionAt))), PartitionCountAt)++;
            var node = HeapNode(table, checked((int)total));
            Int64(node, 0) = expiry;
            Int64(node, 8) = i;
            total++;
        }

        Int64(table, TotalAt) = total;
        Int64(table, HeapSizeAt) = total;

        // Floyd's heap construction: sift every inner node down.
        for (var start = (int)(total / 2) - 1; start >= 0; start--)
        {
            SiftDown(table, start, start, (int)total);
        }

        Int64(table, BusyAt) = 0;
    }

    private int CheckedSlotIndex(long index) =>
        index >= 0 && index < _geometry.Slots ? (int)index : throw new InvalidDataException("The replay table's heap names a slot outside the table.");

    private int CheckedPartitionIndex(int index) =>
        index >= 0 && index < _geometry.PartitionSlots ? index : throw new InvalidDataException("A replay table slot names a partition outside the table.");

    private Span<byte> Slot(Span<byte> table, int index) => table.Slice(_geometry.SlotsAt + (index * SlotBytes), SlotBytes);

    private Span<byte> PartitionSlot(Span<byte> table, int index) => table.Slice(_geometry.PartitionsAt + (index * PartitionSlotBytes), PartitionSlotBytes);

    private Span<byte> HeapNode(Span<byte> table, int index) =>
        index >= 0 && index < _geometry.HeapCapacity ? table.Slice(_geometry.HeapAt + (index * HeapNodeBytes), HeapNodeBytes) : throw new InvalidDataException("The replay table's heap is larger than its capacity.");

    private static ref long Int64(Span<byte> bytes, int offset) => ref MemoryMarshal.AsRef<long>(bytes.Slice(offset, sizeof(long)));

    private static ref int Int32(Span<byte> bytes, int offset) => ref MemoryMarshal.AsRef<int>(bytes.Slice(offset, sizeof(int)));

    private byte[] PartitionDigest(string partition)
    {
        if (!_partitionDigests.TryGetValue(partition, out var digest))
        {
            if (_partitionDigests.Count >= MaxCachedPartitions)
            {
                _partitionDigests.Clear();
            }

            digest = new byte[32];
            Digest(PartitionDomain, partition, null, digest);
            _partitionDigests.Add(partition, digest);
        }

        return digest;
    }

    // HMAC-SHA-256 under the table's key of: domain, the first string's UTF-8 length (2 bytes) and bytes, the second's bytes.
    private void Digest(byte domain, string first, string? second, Span<byte> digest)
    {
        Span<byte> input = stackalloc byte[3 + (3 * ReplayStoreOptions.DefaultMaxPartitionBytes)];
        var firstLength = System.Text.Encoding.UTF8.GetByteCount(first);
        var secondLength = second is null ? 0 : System.Text.Encoding.UTF8.GetByteCount(second);
        var length = 3 + firstLength + secondLength;
        Span<byte> buffer = length <= input.Length ? input[..length] : new byte[length];
        buffer[0] = domain;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[1..], checked((ushort)firstLength));
        System.Text.Encoding.UTF8.GetBytes(first, buffer[3..]);
        if (second is not null)
        {
            System.Text.Encoding.UTF8.GetBytes(second, buffer[(3 + firstLength)..]);
        }

        _hmac.AppendData(buffer);
        _hmac.GetHashAndReset(digest);
    }

    private static (FileStream File, bool Created) OpenFile(string path)
    {
        try
        {
            return (new FileStream(path, FileOptionsFor(FileMode.CreateNew)), true);
        }
        catch (IOException) when (File.Exists(path))
        {
            return (new FileStream(path, FileOptionsFor(FileMode.Open)), false);
        }
    }

    private static FileStreamOptions FileOptionsFor(FileMode mode)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.ReadWrite, Share = FileShare.ReadWrite };
        if (OperatingSystem.IsLinux() && mode == FileMode.CreateNew)
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return options;
    }

    // Under the file lock: reads the header, and makes the table (an empty or all-zero file), empties it with a fence (a
    // table last used during another boot), or checks it (the same boot). Returns the geometry and the fence.
    private static (Geometry Geometry, DateTimeOffset? Fence) Prepare(FileStream file, FileDescriptionLock fileLock, bool created, MappedReplayStoreOptions options, byte[] bootHash, DateTimeOffset now)
    {
        var handle = file.SafeFileHandle;
        var length = RandomAccess.GetLength(handle);
        var header = new byte[HeaderBytes];
        if (length > 0)
        {
            RandomAccess.Read(handle, header.AsSpan(0, (int)Math.Min(length, HeaderBytes)), 0);
        }

        if (BinaryPrimitives.ReadUInt64LittleEndian(header) != Magic)
        {
            // Only a file with nothing in it is made into a table (a reset cut short leaves one: it starts by emptying
            // the file); anything else is somebody's data, left alone.
            if (!IsAllZero(handle, length))
            {
                throw new InvalidDataException($"'{file.Name}' is not a replay table (or was written by a newer version); it was left untouched.");
            }

            // A file this opener just made has lost nothing; one found empty (a creation or reset cut short, or contents
            // lost with the machine) may have been in use, so the opener fences it.
            var made = Geometry.For(options.Limits.MaxEntries);
            long? fenceMs = created && length == 0 ? null : ReplayKeyRules.ToUnixMillisecondsCeiling(now);
            Reset(file, fileLock, made, bootHash, fenceMs);
            return (made, fenceMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null);
        }

        var geometry = Geometry.Read(header, file.Name);
        if (geometry.MadeForEntries < options.Limits.MaxEntries)
        {
            throw new InvalidOperationException(
                $"The replay table '{file.Name}' was made for {geometry.MadeForEntries} entries; this store asks for {options.Limits.MaxEntries}. Use the same limit, or a new file.");
        }

        if (!header.AsSpan(BootAt, 32).SequenceEqual(bootHash))
        {
            // Last used during another boot: whatever the machine's crash lost, messages dated before now are refused.
            var fenceMs = ReplayKeyRules.ToUnixMillisecondsCeiling(now);
            Reset(file, fileLock, geometry, bootHash, fenceMs);
            return (geometry, DateTimeOffset.FromUnixTimeMilliseconds(fenceMs));
        }

        if (length != geometry.FileLength)
        {
            throw new InvalidDataException($"The replay table '{file.Name}' is {length} bytes long; its header says {geometry.FileLength}.");
        }

        var storedFence = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(FenceAt));
        return (geometry, storedFence == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(storedFence));
    }

    /// <summary>Where the heap starts in a table made for <paramref name="maxEntries"/> (for tests that damage it).</summary>
    internal static int HeapOffsetFor(long maxEntries) => Geometry.For(maxEntries).HeapAt;

    private static bool IsAllZero(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long length)
    {
        var chunk = new byte[64 * 1024];
        for (long at = 0; at < length;)
        {
            var read = RandomAccess.Read(handle, chunk, at);
            if (read <= 0)
            {
                break;
            }

            if (chunk.AsSpan(0, read).ContainsAnyExcept((byte)0))
            {
                return false;
            }

            at += read;
        }

        return true;
    }

    // Empties the table: the file is cut to nothing, its blocks are allocated again (zeros, no pages written), and a new
    // header is written in one write. A crash before that write leaves a file of zeros, which the next opener makes into
    // a table behind a fence. Refused while any other description uses the file: on one machine a table of another boot
    // has no users left, so one means a second machine sharing the file, whose mappings this would cut. The blocks are
    // allocated here, not when a page is first written: a write into a mapped file that the disk cannot hold is a SIGBUS
    // that kills the process, where a full disk at open is an error that says so.
    private static void Reset(FileStream file, FileDescriptionLock fileLock, Geometry geometry, byte[] bootHash, long? fenceMs)
    {
        if (!fileLock.NobodyElseUses())
        {
            throw new IOException($"The replay table '{file.Name}' is in use by processes of another boot: is it shared with another machine (a network file system)? It must be on a local disk.");
        }

        var handle = file.SafeFileHandle;
        RandomAccess.SetLength(handle, 0);
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var error = PosixFallocate((int)handle.DangerousGetHandle(), 0, geometry.FileLength);
            if (error != 0)
            {
                throw new IOException(error == NoSpace
                    ? $"There is no room on the disk for the replay table ({geometry.FileLength / (1024 * 1024)} MiB)."
                    : $"The replay table's {geometry.FileLength / (1024 * 1024)} MiB could not be allocated (errno {error}).");
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }

        var header = new byte[HeaderBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(MagicAt), Magic);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(VersionAt), FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(SlotsPerBucketAt), SlotsPerBucket);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(BucketsAt), geometry.Buckets);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(PartitionBucketsAt), geometry.PartitionBuckets);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(HeapCapacityAt), geometry.HeapCapacity);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(MadeForEntriesAt), geometry.MadeForEntries);
        RandomNumberGenerator.Fill(header.AsSpan(KeyAt, KeyBytes));
        bootHash.CopyTo(header.AsSpan(BootAt));
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(FenceAt), fenceMs ?? 0);
        RandomAccess.Write(handle, header, 0);
        CryptographicOperations.ZeroMemory(header);
    }

    private const int NoSpace = 28; // ENOSPC

    // Returns 0 or an error number (it does not set errno). glibc writes zeros where the file system cannot allocate.
    [LibraryImport("libc", EntryPoint = "posix_fallocate")]
    private static partial int PosixFallocate(int fd, long offset, long length);

    private static byte[] Hash(string bootId) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(bootId));

    private readonly ref struct Request(ReadOnlySpan<byte> entry, ReadOnlySpan<byte> owner, ReadOnlySpan<byte> holderTag, string? holder, long nowMs, long expiresMs)
    {
        public ReadOnlySpan<byte> Entry { get; } = entry;

        public ReadOnlySpan<byte> Owner { get; } = owner;

        public ReadOnlySpan<byte> HolderTag { get; } = holderTag;

        public string? Holder { get; } = holder;

        public long NowMs { get; } = nowMs;

        public long ExpiresMs { get; } = expiresMs;
    }

    // Where each part of the table lies; fixed when the file is made.
    private sealed class Geometry
    {
        private Geometry(long buckets, long partitionBuckets, long heapCapacity, long madeForEntries)
        {
            Buckets = buckets;
            PartitionBuckets = partitionBuckets;
            HeapCapacity = heapCapacity;
            MadeForEntries = madeForEntries;
            Slots = checked((int)(buckets * SlotsPerBucket));
            PartitionSlots = checked((int)(partitionBuckets * PartitionSlotsPerBucket));
            PartitionsAt = checked(SlotsAt + (Slots * SlotBytes));
            HeapAt = checked(PartitionsAt + (PartitionSlots * PartitionSlotBytes));
            FileLength = checked(HeapAt + (heapCapacity * HeapNodeBytes));
        }

        public long Buckets { get; }

        public long PartitionBuckets { get; }

        public long HeapCapacity { get; }

        public long MadeForEntries { get; }

        public int Slots { get; }

        public int PartitionSlots { get; }

        public int SlotsAt { get; } = HeaderBytes;

        public int PartitionsAt { get; }

        public int HeapAt { get; }

        public long FileLength { get; }

        // Twice as many slots as entries (at least 64 buckets), a partition table for up to 65,536 live partitions at
        // half load, and heap room for every entry plus stale nodes of re-armed ones.
        public static Geometry For(long maxEntries) => new(
            Math.Max(64, ((2 * maxEntries) + SlotsPerBucket - 1) / SlotsPerBucket),
            Math.Max(16, ((2 * Math.Min(maxEntries, MaxPartitions)) + PartitionSlotsPerBucket - 1) / PartitionSlotsPerBucket),
            maxEntries + HeapSlack,
            maxEntries);

        public static Geometry Read(ReadOnlySpan<byte> header, string name)
        {
            var version = BinaryPrimitives.ReadInt32LittleEndian(header[VersionAt..]);
            var slotsPerBucket = BinaryPrimitives.ReadInt32LittleEndian(header[SlotsPerBucketAt..]);
            var madeFor = BinaryPrimitives.ReadInt64LittleEndian(header[MadeForEntriesAt..]);
            if (version != FormatVersion || slotsPerBucket != SlotsPerBucket || madeFor <= 0 || madeFor > MappedReplayStoreOptions.MaxTableEntries)
            {
                throw new InvalidDataException($"The replay table '{name}' has a format this version does not read (version {version}).");
            }

            var geometry = For(madeFor);
            if (BinaryPrimitives.ReadInt64LittleEndian(header[BucketsAt..]) != geometry.Buckets
                || BinaryPrimitives.ReadInt64LittleEndian(header[PartitionBucketsAt..]) != geometry.PartitionBuckets
                || BinaryPrimitives.ReadInt64LittleEndian(header[HeapCapacityAt..]) != geometry.HeapCapacity)
            {
                throw new InvalidDataException($"The replay table '{name}' has a header that does not describe its own size.");
            }

            return geometry;
        }
    }
}
