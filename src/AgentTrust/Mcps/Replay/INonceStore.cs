namespace AgentTrust.Mcps.Replay;

/// <summary>The outcome of registering a nonce.</summary>
public enum NonceCheckResult
{
    /// <summary>First sight: the pair is now held until its expiry.</summary>
    Accepted = 0,

    /// <summary>The pair is already held: a replay (MCPS-005).</summary>
    Replayed,

    /// <summary>The store (or the signer's quota) is full: the message is rejected (MCPS-010); no live entry was evicted.</summary>
    StoreFull,

    /// <summary>The store could not answer (storage down, request refused): the message is rejected (MCPS-025, fail closed).</summary>
    Unavailable,
}

/// <summary>
/// Replay protection for MCPS messages (mcps.md §9): an atomic check-and-insert of <c>(passport_id, nonce)</c>, held
/// until <c>expiresAt</c> (timestamp + MaxAge). The verifier calls it LAST, after every other check passed, so a
/// rejected message never burns its nonce. <see cref="ReplayStoreNonceStore"/> adapts any
/// <see cref="AgentTrust.Replay.IReplayStore"/> (in-memory, SQLite, PostgreSQL).
/// </summary>
public interface INonceStore
{
    /// <summary>Registers the pair atomically; never evicts a live entry to make room.</summary>
    ValueTask<NonceCheckResult> TryRegisterAsync(string passportId, string nonce, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>
    /// The instant before which registrations may have been lost (see <see cref="AgentTrust.Replay.IReplayStore.RestartFence"/>);
    /// null when nothing can have been lost. The verifier refuses messages dated at or before it plus its future skew
    /// (MCPS-006 <c>before_restart_fence</c>).
    /// </summary>
    DateTimeOffset? RestartFence => null;
}
