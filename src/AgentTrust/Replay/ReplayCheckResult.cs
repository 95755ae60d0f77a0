namespace AgentTrust.Replay;

/// <summary>
/// The outcome of <see cref="IReplayStore.TryRegisterAsync(string, string, DateTimeOffset, CancellationToken)"/>. Only <see cref="Accepted"/> means "first use";
/// every other value must make the caller reject the message (fail closed). The zero value is deliberately a
/// rejection, so an uninitialised result can never read as accepted.
/// </summary>
public enum ReplayCheckResult
{
    /// <summary>The store could not answer (database unreachable, timeout). Reject: fail closed.</summary>
    StoreUnavailable = 0,

    /// <summary>The value was not held in its partition: it is now registered until its expiry. Accept.</summary>
    Accepted = 1,

    /// <summary>The value is already held, unexpired, in the same partition. Reject as a replay.</summary>
    Replayed = 2,

    /// <summary>
    /// The store (or the partition) is full of unexpired entries. Reject: entries inside their window are never
    /// evicted to make room, since eviction would reopen the door to the replay the entry guards against.
    /// </summary>
    CapacityExceeded = 3,

    /// <summary>
    /// The request was refused before touching storage: empty or oversized partition or value, a string that is
    /// not well-formed UTF-16 or contains NUL, or an expiry that is not after the current time. Reject.
    /// </summary>
    InvalidRequest = 4,
}
