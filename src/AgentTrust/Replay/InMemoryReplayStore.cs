using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace AgentTrust.Replay;

/// <summary>
/// A bounded, thread-safe <see cref="IReplayStore"/> for one process. Expired entries are reclaimed from a min-heap
/// ordered by expiry: each registration pops a few expired entries (amortised O(log n), never a scan of the whole
/// store), and a full store first reclaims everything that has expired before it answers
/// <see cref="ReplayCheckResult.CapacityExceeded"/>. Unexpired entries are never evicted.
/// </summary>
public sealed class InMemoryReplayStore : IReplayStore
{
    // Each registration adds at most one heap node, so popping a few more than one per call keeps the heap from
    // accumulating expired nodes, while bounding the work any single caller pays for.
    private const int ReclaimBudgetPerCall = 8;

    private readonly Lock _gate = new();
    private readonly Dictionary<(string Partition, string Value), Entry> _entries = [];
    private readonly Dictionary<string, long> _partitionCounts = new(StringComparer.Ordinal);
    private readonly PriorityQueue<(string Partition, string Value), long> _byExpiry = new();
    private readonly ReplayStoreOptions _options;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates a store with the given limits and clock.</summary>
    /// <param name="options">Limits; <see cref="ReplayStoreOptions.Default"/> when null.</param>
    /// <param name="timeProvider">The clock deciding what has expired; <see cref="TimeProvider.System"/> when null.</param>
    public InMemoryReplayStore(ReplayStoreOptions? options = null, TimeProvider? timeProvider = null)
    {
        _options = options ?? ReplayStoreOptions.Default;
        _options.Validate();
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The number of entries held, including expired entries not yet reclaimed.</summary>
    public long Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>The synchronous form of <see cref="TryRegisterAsync(string, string, DateTimeOffset, CancellationToken)"/> (this store never waits on I/O).</summary>
    /// <param name="partition">Who the value belongs to.</param>
    /// <param name="value">The one-time value.</param>
    /// <param name="expiresAt">The instant from which the value may be registered again.</param>
    /// <returns>The outcome; only <see cref="ReplayCheckResult.Accepted"/> allows the message through.</returns>
    public ReplayCheckResult TryRegister(string partition, string value, DateTimeOffset expiresAt) =>
        TryRegister(partition, value, expiresAt, holder: null).Result;

    /// <summary>
    /// The synchronous form of <see cref="TryRegisterAsync(string, string, DateTimeOffset, string?, CancellationToken)"/>.
    /// </summary>
    /// <param name="partition">Who the value belongs to.</param>
    /// <param name="value">The one-time value.</param>
    /// <param name="expiresAt">The instant from which the value may be registered again.</param>
    /// <param name="holder">Who presents the value now; null for nobody.</param>
    /// <returns>The outcome and, for a replay, the holder of the live registration.</returns>
    public ReplayRegistration TryRegister(string partition, string value, DateTimeOffset expiresAt, string? holder)
    {
        var now = _timeProvider.GetUtcNow();
        if (!ReplayKeyRules.IsAcceptable(partition, value, expiresAt, now, _options) || !ReplayKeyRules.IsAcceptableHolder(holder, _options))
        {
            return new ReplayRegistration(ReplayCheckResult.InvalidRequest, null);
        }

        var nowTicks = now.UtcTicks;
        var expiry = expiresAt.UtcTicks;
        var key = (partition, value);
        lock (_gate)
        {
            Reclaim(nowTicks, ReclaimBudgetPerCall);

            ref var held = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, key);
            if (!Unsafe.IsNullRef(ref held))
            {
                if (held.ExpiryTicks > nowTicks)
                {
                    return new ReplayRegistration(ReplayCheckResult.Replayed, held.Holder);
                }

                // Expired but not reclaimed yet: re-arm in place. The old heap node becomes stale and is skipped.
                held = new Entry(expiry, holder);
                _byExpiry.Enqueue(key, expiry);
                return new ReplayRegistration(ReplayCheckResult.Accepted, holder);
            }

            if (IsFull(partition))
            {
                Reclaim(nowTicks, int.MaxValue);
                if (IsFull(partition))
                {
                    return new ReplayRegistration(ReplayCheckResult.CapacityExceeded, null);
                }
            }

            _entries.Add(key, new Entry(expiry, holder));
            CollectionsMarshal.GetValueRefOrAddDefault(_partitionCounts, partition, out _)++;
            _byExpiry.Enqueue(key, expiry);
            return new ReplayRegistration(ReplayCheckResult.Accepted, holder);
        }
    }

    /// <inheritdoc />
    public ValueTask<ReplayCheckResult> TryRegisterAsync(string partition, string value, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(TryRegister(partition, value, expiresAt));
    }

    /// <inheritdoc />
    public ValueTask<ReplayRegistration> TryRegisterAsync(string partition, string value, DateTimeOffset expiresAt, string? holder, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(TryRegister(partition, value, expiresAt, holder));
    }

    /// <summary>Removes every expired entry now.</summary>
    /// <returns>The number of entries removed.</returns>
    public long PurgeExpired()
    {
        var nowTicks = _timeProvider.GetUtcNow().UtcTicks;
        lock (_gate)
        {
            return Reclaim(nowTicks, int.MaxValue);
        }
    }

    /// <inheritdoc />
    public ValueTask<long> PurgeExpiredAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(PurgeExpired());
    }

    /// <inheritdoc />
    public ValueTask<long> CountAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Count);
    }

    private bool IsFull(string partition) =>
        _entries.Count >= _options.MaxEntries
        || (_partitionCounts.TryGetValue(partition, out var inPartition) && inPartition >= _options.MaxEntriesPerPartition);

    // Pops heap nodes whose expiry has passed, at most 'budget' of them; returns how many entries were removed.
    private long Reclaim(long nowTicks, int budget)
    {
        long removed = 0;
        while (budget-- > 0 && _byExpiry.TryPeek(out var key, out var nodeExpiry) && nodeExpiry <= nowTicks)
        {
            _byExpiry.Dequeue();

            // A node is stale when its entry was re-armed with a later expiry (or already removed).
            if (!_entries.TryGetValue(key, out var held) || held.ExpiryTicks != nodeExpiry)
            {
                continue;
            }

            _entries.Remove(key);
            ref var inPartition = ref CollectionsMarshal.GetValueRefOrNullRef(_partitionCounts, key.Partition);
            if (--inPartition == 0)
            {
                _partitionCounts.Remove(key.Partition);
            }

            removed++;
        }

        return removed;
    }

    private readonly record struct Entry(long ExpiryTicks, string? Holder);
}
