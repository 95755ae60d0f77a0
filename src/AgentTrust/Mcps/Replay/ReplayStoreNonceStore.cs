using AgentTrust.Replay;

namespace AgentTrust.Mcps.Replay;

/// <summary>
/// The MCPS nonce store over a generic <see cref="IReplayStore"/>: partition = passport id, value = nonce. Any store
/// of the replay family plugs in: <see cref="InMemoryReplayStore"/>, or the SQLite and PostgreSQL stores.
/// </summary>
public sealed class ReplayStoreNonceStore : INonceStore
{
    private readonly IReplayStore _store;

    /// <summary>Wraps <paramref name="store"/>.</summary>
    public ReplayStoreNonceStore(IReplayStore store) => _store = store ?? throw new ArgumentNullException(nameof(store));

    /// <inheritdoc />
    public DateTimeOffset? RestartFence => _store.RestartFence;

    /// <inheritdoc />
    public async ValueTask<NonceCheckResult> TryRegisterAsync(string passportId, string nonce, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var result = await _store.TryRegisterAsync(passportId, nonce, expiresAt, cancellationToken).ConfigureAwait(false);
        return result switch
        {
            ReplayCheckResult.Accepted => NonceCheckResult.Accepted,
            ReplayCheckResult.Replayed => NonceCheckResult.Replayed,
            ReplayCheckResult.CapacityExceeded => NonceCheckResult.StoreFull,
            _ => NonceCheckResult.Unavailable,
        };
    }
}
