namespace AgentTrust.Replay;

/// <summary>
/// A store of one-time values (MCPS nonces, attestation <c>jti</c>s, receipt nonces), each held in a partition
/// until an expiry instant. A value is "live" while the store's clock is strictly before its expiry; a live value
/// cannot be registered again in the same partition. Implementations: <see cref="InMemoryReplayStore"/> (one
/// process), <see cref="MappedReplayStore"/> (processes of one Linux machine sharing a mapped table file), SQLite
/// (processes sharing a file) and PostgreSQL (several machines).
/// </summary>
/// <remarks>
/// Partitions: the passport id for MCPS nonces, the issuer for attestation <c>jti</c>s, the signer public key for
/// receipt nonces. Register a value only after every other check of the message has passed, so a rejected message
/// never consumes its value. Pass as expiry the first instant at which the message could no longer be accepted
/// anyway (for MCPS: <c>ts + MaxAge</c>; for attestation: <c>exp + skew</c>).
/// </remarks>
public interface IReplayStore
{
    /// <summary>
    /// The instant before which registrations may have been lost by an unclean restart of the machine (a store whose
    /// commits are not flushed to disk one by one); null when nothing can have been lost. A verifier using this store
    /// must refuse a message or token dated at or before this instant plus its own future skew: its value may have
    /// been accepted before the restart and forgotten since. Fixed for the lifetime of the instance.
    /// </summary>
    DateTimeOffset? RestartFence => null;

    /// <summary>
    /// Atomically registers <paramref name="value"/> in <paramref name="partition"/> until
    /// <paramref name="expiresAt"/>, unless it is already live there. Concurrent calls with the same partition and
    /// value (from any thread, process or machine sharing the store) yield exactly one
    /// <see cref="ReplayCheckResult.Accepted"/>. Bad input is reported as
    /// <see cref="ReplayCheckResult.InvalidRequest"/> and a storage failure as
    /// <see cref="ReplayCheckResult.StoreUnavailable"/>; this method does not throw for either.
    /// </summary>
    /// <param name="partition">Who the value belongs to (passport id, issuer, signer key).</param>
    /// <param name="value">The one-time value (nonce, <c>jti</c>).</param>
    /// <param name="expiresAt">The instant from which the value may be registered again.</param>
    /// <param name="cancellationToken">Cancels the operation (an <see cref="OperationCanceledException"/> is thrown).</param>
    /// <returns>The outcome; only <see cref="ReplayCheckResult.Accepted"/> allows the message through.</returns>
    ValueTask<ReplayCheckResult> TryRegisterAsync(string partition, string value, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);

    /// <summary>
    /// Like <see cref="TryRegisterAsync(string, string, DateTimeOffset, CancellationToken)"/>, and also records who
    /// registered the value; a later registration of the live value gets <see cref="ReplayCheckResult.Replayed"/> with
    /// that holder, so the caller can apply a rule such as attestation.md §3.3 ("the same MCPS presenter may present
    /// the same token again"). The holder is bounded like a partition. Stores that cannot record holders answer with
    /// a null holder, which <see cref="ReplayRegistration.IsReplayBy"/> never matches (fail closed); stores that keep
    /// only a digest of it (<see cref="MappedReplayStore"/>) name it only to the holder presenting now.
    /// </summary>
    /// <param name="partition">Who the value belongs to (passport id, issuer, signer key).</param>
    /// <param name="value">The one-time value (nonce, <c>jti</c>).</param>
    /// <param name="expiresAt">The instant from which the value may be registered again.</param>
    /// <param name="holder">Who presents the value now (for example the MCPS passport id); null for nobody.</param>
    /// <param name="cancellationToken">Cancels the operation (an <see cref="OperationCanceledException"/> is thrown).</param>
    /// <returns>The outcome and, for a replay, the holder of the live registration.</returns>
    async ValueTask<ReplayRegistration> TryRegisterAsync(string partition, string value, DateTimeOffset expiresAt, string? holder, CancellationToken cancellationToken = default)
    {
        var result = await TryRegisterAsync(partition, value, expiresAt, cancellationToken).ConfigureAwait(false);
        return new ReplayRegistration(result, null);
    }

    /// <summary>
    /// Removes entries whose expiry has passed. Stores also reclaim expired entries on their own, amortised over
    /// registrations; call this to reclaim eagerly (for example from a maintenance job).
    /// </summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The number of entries removed.</returns>
    ValueTask<long> PurgeExpiredAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The number of entries the store currently holds, including expired entries not yet reclaimed
    /// (call <see cref="PurgeExpiredAsync"/> first for the live count).
    /// </summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The entry count.</returns>
    ValueTask<long> CountAsync(CancellationToken cancellationToken = default);
}
