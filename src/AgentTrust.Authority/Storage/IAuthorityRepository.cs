namespace AgentTrust.Authority.Storage;

/// <summary>
/// The Trust Authority's registry: challenges, passports, revocations, trust-level changes, admin tokens and audit
/// checkpoints. SQLite and PostgreSQL implement it and pass the same test suite. Every write is durable when the
/// task completes (synchronous commit). Instants are stored as Unix milliseconds.
/// </summary>
public interface IAuthorityRepository : IAsyncDisposable
{
    /// <summary>The engine name for metrics and logs: <c>sqlite</c> or <c>postgres</c>.</summary>
    string Engine { get; }

    /// <summary>Creates or upgrades the schema. Safe to call on every start and from several processes.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>Runs a trivial query; throws when the database is unusable.</summary>
    Task PingAsync(CancellationToken cancellationToken);

    /// <summary>Stores a new single-use challenge.</summary>
    Task StoreChallengeAsync(string challenge, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>The state of a challenge without changing it: <see cref="ChallengeOutcome.Fresh"/> when it could be used now.</summary>
    Task<ChallengeOutcome> PeekChallengeAsync(string challenge, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Registers a passport against a challenge in one transaction: the challenge is marked used and the passport
    /// inserted together, or neither happens. <see cref="ChallengeOutcome.Consumed"/> on success;
    /// <see cref="ChallengeOutcome.AlreadyRegistered"/> when the passport id exists (the challenge stays usable); else the
    /// challenge's state. Under concurrency a challenge registers exactly one passport.
    /// </summary>
    Task<ChallengeOutcome> RegisterAsync(string challenge, DateTimeOffset now, PassportRecord record, CancellationToken cancellationToken);

    /// <summary>Deletes challenges that expired before <paramref name="now"/>; returns how many.</summary>
    Task<int> PurgeChallengesAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Inserts a registered passport; false when the passport id is already registered.</summary>
    Task<bool> InsertPassportAsync(PassportRecord record, CancellationToken cancellationToken);

    /// <summary>The passport with this id, or null.</summary>
    Task<PassportRecord?> GetPassportAsync(string passportId, CancellationToken cancellationToken);

    /// <summary>Revokes a passport with a reason and the actor who did it.</summary>
    Task<RevocationOutcome> RevokeAsync(string passportId, string reason, string actor, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Changes a passport's trust level, replaces the stored passport with <paramref name="reissue"/>(stored passport
    /// JSON) — the passport re-issued at the new level — and records the change (old, new, reason, actor, time), all in
    /// one transaction, so the stored passport and the level never disagree.
    /// </summary>
    Task<TrustLevelOutcome> SetTrustLevelAsync(string passportId, int level, string reason, string actor, DateTimeOffset at, Func<string, string> reissue, CancellationToken cancellationToken);

    /// <summary>Every recorded trust-level change of a passport, oldest first.</summary>
    Task<IReadOnlyList<TrustLevelChange>> GetTrustLevelHistoryAsync(string passportId, CancellationToken cancellationToken);

    /// <summary>All revocations, in revocation order, and the list version (the number of the latest revocation; 0 when none).</summary>
    Task<RevocationSnapshot> GetRevocationsAsync(CancellationToken cancellationToken);

    /// <summary>Stores the SHA-256 hash of a new admin token.</summary>
    Task AddAdminTokenAsync(byte[] tokenHash, string label, DateTimeOffset createdAt, CancellationToken cancellationToken);

    /// <summary>All admin tokens (hash and label); compared in constant time by the caller.</summary>
    Task<IReadOnlyList<AdminTokenRecord>> GetAdminTokensAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Records a proposed checkpoint head atomically: accepted when the log is new or the count is higher, unchanged
    /// for the same head, refused for a lower count, a different hash at the same count, or another submitter key.
    /// </summary>
    Task<CheckpointOutcome> RecordCheckpointAsync(CheckpointRecord proposed, CancellationToken cancellationToken);

    /// <summary>The highest checkpoint of a log, or null.</summary>
    Task<CheckpointRecord?> GetCheckpointAsync(string logId, CancellationToken cancellationToken);
}
