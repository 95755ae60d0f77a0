namespace AgentTrust.Mcps.Replay;

/// <summary>
/// A bounded in-process <see cref="INonceStore"/>: at most <see cref="Capacity"/> live entries in total and
/// <see cref="PerPassportCapacity"/> per signer. Expired entries are purged in expiry order (a priority queue, no
/// full sweep); when the store is still full the new message is rejected, never a live entry evicted.
/// </summary>
public sealed class InMemoryNonceStore : INonceStore
{
    private readonly object _gate = new();
    private readonly Dictionary<(string PassportId, string Nonce), DateTimeOffset> _entries = [];
    private readonly Dictionary<string, int> _perPassport = new(StringComparer.Ordinal);
    private readonly PriorityQueue<(string PassportId, string Nonce), DateTimeOffset> _expiry = new();
    private readonly TimeProvider _time;

    /// <summary>Creates a store.</summary>
    /// <param name="capacity">Total live entries (default 1 000 000).</param>
    /// <param name="perPassportCapacity">Live entries per passport (default 100 000).</param>
    /// <param name="time">The clock used to purge expired entries.</param>
    public InMemoryNonceStore(int capacity = 1_000_000, int perPassportCapacity = 100_000, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(perPassportCapacity, 1);
        Capacity = capacity;
        PerPassportCapacity = perPassportCapacity;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The total capacity.</summary>
    public int Capacity { get; }

    /// <summary>The per-passport capacity.</summary>
    public int PerPassportCapacity { get; }

    /// <summary>Live entries (expired ones may still be counted until the next purge).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<NonceCheckResult> TryRegisterAsync(string passportId, string nonce, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(passportId);
        ArgumentNullException.ThrowIfNull(nonce);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(TryRegister(passportId, nonce, expiresAt));
    }

    /// <summary>The synchronous form of <see cref="TryRegisterAsync"/>.</summary>
    public NonceCheckResult TryRegister(string passportId, string nonce, DateTimeOffset expiresAt)
    {
        var now = _time.GetUtcNow();
        var key = (passportId, nonce);
        lock (_gate)
        {
            Purge(now);
            if (_entries.TryGetValue(key, out var held) && held > now)
            {
                return NonceCheckResult.Replayed;
            }

            _perPassport.TryGetValue(passportId, out var signerCount);
            if (_entries.Count >= Capacity || signerCount >= PerPassportCapacity)
            {
                return NonceCheckResult.StoreFull;
            }

            _entries[key] = expiresAt;
            _perPassport[passportId] = signerCount + 1;
            _expiry.Enqueue(key, expiresAt);
            return NonceCheckResult.Accepted;
        }
    }

    private void Purge(DateTimeOffset now)
    {
        while (_expiry.TryPeek(out var key, out var expiresAt) && expiresAt <= now)
        {
            _expiry.Dequeue();
            if (_entries.TryGetValue(key, out var held) && held == expiresAt)
            {
                _entries.Remove(key);
                if (_perPassport.TryGetValue(key.PassportId, out var count))
                {
                    if (count <= 1)
                    {
                        _perPassport.Remove(key.PassportId);
                    }
                    else
                    {
                        _perPassport[key.PassportId] = count - 1;
                    }
                }
            }
        }
    }
}
