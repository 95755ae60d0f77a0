using AgentTrust.Replay;

namespace AgentTrust.Mcps.Replay;

/// <summary>
/// A bounded in-process <see cref="INonceStore"/> (default 1 000 000 entries, 100 000 per passport): a
/// <see cref="ReplayStoreNonceStore"/> over <see cref="InMemoryReplayStore"/>. At capacity new messages are rejected
/// (MCPS-010 <c>nonce_store_full</c>); a live entry is never evicted.
/// </summary>
public sealed class InMemoryNonceStore : INonceStore
{
    private readonly InMemoryReplayStore _store;
    private readonly ReplayStoreNonceStore _adapter;

    /// <summary>Creates a store.</summary>
    /// <param name="capacity">Total live entries.</param>
    /// <param name="perPassportCapacity">Live entries per passport.</param>
    /// <param name="time">The clock that decides expiry.</param>
    public InMemoryNonceStore(long capacity = ReplayStoreOptions.DefaultMaxEntries, long perPassportCapacity = ReplayStoreOptions.DefaultMaxEntriesPerPartition, TimeProvider? time = null)
    {
        _store = new InMemoryReplayStore(new ReplayStoreOptions { MaxEntries = capacity, MaxEntriesPerPartition = perPassportCapacity }, time);
        _adapter = new ReplayStoreNonceStore(_store);
    }

    /// <summary>Entries held (expired ones included until reclaimed).</summary>
    public long Count => _store.Count;

    /// <inheritdoc />
    public ValueTask<NonceCheckResult> TryRegisterAsync(string passportId, string nonce, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        _adapter.TryRegisterAsync(passportId, nonce, expiresAt, cancellationToken);
}
