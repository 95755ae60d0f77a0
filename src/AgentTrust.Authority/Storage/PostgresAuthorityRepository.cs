using Npgsql;

namespace AgentTrust.Authority.Storage;

/// <summary>
/// The registry in PostgreSQL (several authority processes can share it). Commits are synchronous (the server
/// default <c>synchronous_commit=on</c> is forced per session); migrations run under an advisory lock.
/// </summary>
public sealed class PostgresAuthorityRepository : IAuthorityRepository
{
    private const int SchemaVersion = 1;
    private const long MigrationLockKey = 0x4147_5441_0001;

    private static readonly string[] Schema =
    [
        """
        CREATE TABLE IF NOT EXISTS at_passports (
            passport_id TEXT PRIMARY KEY,
            passport_json TEXT NOT NULL,
            key_thumbprint TEXT NOT NULL,
            trust_level INTEGER NOT NULL,
            issued_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            revoked_at BIGINT NULL,
            revocation_reason TEXT NULL,
            revocation_seq BIGINT NULL UNIQUE)
        """,
        "CREATE SEQUENCE IF NOT EXISTS at_revocation_seq",
        """
        CREATE TABLE IF NOT EXISTS at_trust_level_changes (
            id BIGSERIAL PRIMARY KEY,
            passport_id TEXT NOT NULL REFERENCES at_passports(passport_id),
            old_level INTEGER NOT NULL,
            new_level INTEGER NOT NULL,
            reason TEXT NOT NULL,
            actor TEXT NOT NULL,
            changed_at BIGINT NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS at_trust_level_changes_passport ON at_trust_level_changes(passport_id, id)",
        "CREATE TABLE IF NOT EXISTS at_challenges (challenge TEXT PRIMARY KEY, expires_at BIGINT NOT NULL, used_at BIGINT NULL)",
        "CREATE INDEX IF NOT EXISTS at_challenges_expiry ON at_challenges(expires_at)",
        "CREATE TABLE IF NOT EXISTS at_admin_tokens (token_hash BYTEA PRIMARY KEY, label TEXT NOT NULL, created_at BIGINT NOT NULL)",
        """
        CREATE TABLE IF NOT EXISTS at_checkpoints (
            log_id TEXT PRIMARY KEY,
            record_count BIGINT NOT NULL,
            record_hash TEXT NOT NULL,
            submitter TEXT NOT NULL,
            anchored_at BIGINT NOT NULL,
            anchor_json TEXT NOT NULL)
        """,
    ];

    private readonly NpgsqlDataSource _dataSource;

    /// <summary>Connects with an Npgsql connection string.</summary>
    public PostgresAuthorityRepository(string connectionString)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.Options = ((builder.ConnectionStringBuilder.Options ?? string.Empty) + " -c synchronous_commit=on").Trim();
        _dataSource = builder.Build();
    }

    /// <inheritdoc />
    public string Engine => "postgres";

    /// <inheritdoc />
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({MigrationLockKey})", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "CREATE TABLE IF NOT EXISTS at_schema_version (version INTEGER NOT NULL)", cancellationToken).ConfigureAwait(false);
        await using var select = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM at_schema_version", connection, transaction);
        var current = Convert.ToInt32(await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        if (current < SchemaVersion)
        {
            foreach (var statement in Schema)
            {
                await ExecuteAsync(connection, transaction, statement, cancellationToken).ConfigureAwait(false);
            }

            await ExecuteAsync(connection, transaction, $"INSERT INTO at_schema_version (version) VALUES ({SchemaVersion})", cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task PingAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT 1");
        await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task StoreChallengeAsync(string challenge, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("INSERT INTO at_challenges (challenge, expires_at) VALUES ($1, $2)");
        command.Parameters.AddWithValue(challenge);
        command.Parameters.AddWithValue(expiresAt.ToUnixTimeMilliseconds());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<ChallengeOutcome> PeekChallengeAsync(string challenge, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ChallengeStateAsync(connection, null, challenge, now, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<ChallengeOutcome> RegisterAsync(string challenge, DateTimeOffset now, PassportRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var ms = now.ToUnixTimeMilliseconds();
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        // The row lock taken by the claim serialises concurrent registrations on one challenge; a conflict rolls both back.
        await using (var claim = new NpgsqlCommand("UPDATE at_challenges SET used_at = $1 WHERE challenge = $2 AND used_at IS NULL AND expires_at > $1", connection, transaction))
        {
            claim.Parameters.AddWithValue(ms);
            claim.Parameters.AddWithValue(challenge);
            if (await claim.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
            {
                var state = await ChallengeStateAsync(connection, transaction, challenge, now, cancellationToken).ConfigureAwait(false);
                await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                return state == ChallengeOutcome.Fresh ? ChallengeOutcome.AlreadyUsed : state;
            }
        }

        await using (var insert = InsertPassportCommand(connection, transaction, record))
        {
            if (await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
            {
                await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                return ChallengeOutcome.AlreadyRegistered;
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return ChallengeOutcome.Consumed;
    }

    private static async Task<ChallengeOutcome> ChallengeStateAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string challenge, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var select = new NpgsqlCommand("SELECT expires_at, used_at FROM at_challenges WHERE challenge = $1", connection, transaction);
        select.Parameters.AddWithValue(challenge);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return ChallengeOutcome.Unknown;
        }

        return !reader.IsDBNull(1) ? ChallengeOutcome.AlreadyUsed
            : reader.GetInt64(0) <= now.ToUnixTimeMilliseconds() ? ChallengeOutcome.Expired
            : ChallengeOutcome.Fresh;
    }

    /// <inheritdoc />
    public async Task<int> PurgeChallengesAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("DELETE FROM at_challenges WHERE expires_at <= $1");
        command.Parameters.AddWithValue(now.ToUnixTimeMilliseconds());
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> InsertPassportAsync(PassportRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = InsertPassportCommand(connection, null, record);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    // The one statement that stores a passport (registration and import): affected rows = 1 means stored.
    private static NpgsqlCommand InsertPassportCommand(NpgsqlConnection connection, NpgsqlTransaction? transaction, PassportRecord record)
    {
        var command = new NpgsqlCommand(
            """
            INSERT INTO at_passports (passport_id, passport_json, key_thumbprint, trust_level, issued_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (passport_id) DO NOTHING
            """,
            connection,
            transaction);
        command.Parameters.AddWithValue(record.PassportId);
        command.Parameters.AddWithValue(record.PassportJson);
        command.Parameters.AddWithValue(record.KeyThumbprint);
        command.Parameters.AddWithValue(record.TrustLevel);
        command.Parameters.AddWithValue(record.IssuedAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue(record.ExpiresAt.ToUnixTimeMilliseconds());
        return command;
    }

    /// <inheritdoc />
    public async Task<PassportRecord?> GetPassportAsync(string passportId, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            "SELECT passport_id, passport_json, key_thumbprint, trust_level, issued_at, expires_at, revoked_at, revocation_reason FROM at_passports WHERE passport_id = $1");
        command.Parameters.AddWithValue(passportId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new PassportRecord(
            reader.GetString(0),
            reader.GetString(1),
            reader.GetString(2),
            reader.GetInt32(3),
            FromMs(reader.GetInt64(4)),
            FromMs(reader.GetInt64(5)),
            reader.IsDBNull(6) ? null : FromMs(reader.GetInt64(6)),
            reader.IsDBNull(7) ? null : reader.GetString(7));
    }

    /// <inheritdoc />
    public async Task<RevocationOutcome> RevokeAsync(string passportId, string reason, string actor, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var select = new NpgsqlCommand("SELECT revoked_at FROM at_passports WHERE passport_id = $1 FOR UPDATE", connection, transaction);
        select.Parameters.AddWithValue(passportId);
        var state = await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        if (state is null)
        {
            return RevocationOutcome.NotFound;
        }

        if (state is not DBNull)
        {
            return RevocationOutcome.AlreadyRevoked;
        }

        await using var update = new NpgsqlCommand(
            "UPDATE at_passports SET revoked_at = $1, revocation_reason = $2, revocation_seq = nextval('at_revocation_seq') WHERE passport_id = $3",
            connection,
            transaction);
        update.Parameters.AddWithValue(at.ToUnixTimeMilliseconds());
        update.Parameters.AddWithValue(reason);
        update.Parameters.AddWithValue(passportId);
        await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await using var history = new NpgsqlCommand(
            "INSERT INTO at_trust_level_changes (passport_id, old_level, new_level, reason, actor, changed_at) SELECT passport_id, trust_level, trust_level, $1, $2, $3 FROM at_passports WHERE passport_id = $4",
            connection,
            transaction);
        history.Parameters.AddWithValue("revoked: " + reason);
        history.Parameters.AddWithValue(actor);
        history.Parameters.AddWithValue(at.ToUnixTimeMilliseconds());
        history.Parameters.AddWithValue(passportId);
        await history.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return RevocationOutcome.Revoked;
    }

    /// <inheritdoc />
    public async Task<TrustLevelOutcome> SetTrustLevelAsync(string passportId, int level, string reason, string actor, DateTimeOffset at, Func<string, string> reissue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reissue);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var select = new NpgsqlCommand("SELECT trust_level, revoked_at, passport_json FROM at_passports WHERE passport_id = $1 FOR UPDATE", connection, transaction);
        select.Parameters.AddWithValue(passportId);
        int oldLevel;
        bool revoked;
        string passportJson;
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return new TrustLevelOutcome(TrustLevelOutcomeKind.NotFound, 0);
            }

            oldLevel = reader.GetInt32(0);
            revoked = !reader.IsDBNull(1);
            passportJson = reader.GetString(2);
        }

        if (revoked)
        {
            return new TrustLevelOutcome(TrustLevelOutcomeKind.Revoked, oldLevel);
        }

        await using var update = new NpgsqlCommand("UPDATE at_passports SET trust_level = $1, passport_json = $2 WHERE passport_id = $3", connection, transaction);
        update.Parameters.AddWithValue(level);
        update.Parameters.AddWithValue(reissue(passportJson));
        update.Parameters.AddWithValue(passportId);
        await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await using var history = new NpgsqlCommand(
            "INSERT INTO at_trust_level_changes (passport_id, old_level, new_level, reason, actor, changed_at) VALUES ($1, $2, $3, $4, $5, $6)",
            connection,
            transaction);
        history.Parameters.AddWithValue(passportId);
        history.Parameters.AddWithValue(oldLevel);
        history.Parameters.AddWithValue(level);
        history.Parameters.AddWithValue(reason);
        history.Parameters.AddWithValue(actor);
        history.Parameters.AddWithValue(at.ToUnixTimeMilliseconds());
        await history.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new TrustLevelOutcome(TrustLevelOutcomeKind.Changed, oldLevel);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<TrustLevelChange>> GetTrustLevelHistoryAsync(string passportId, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            "SELECT passport_id, old_level, new_level, reason, actor, changed_at FROM at_trust_level_changes WHERE passport_id = $1 ORDER BY id");
        command.Parameters.AddWithValue(passportId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<TrustLevelChange>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new TrustLevelChange(reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetString(3), reader.GetString(4), FromMs(reader.GetInt64(5))));
        }

        return list;
    }

    /// <inheritdoc />
    public async Task<RevocationSnapshot> GetRevocationsAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            "SELECT passport_id, revoked_at, revocation_reason, revocation_seq FROM at_passports WHERE revocation_seq IS NOT NULL ORDER BY revocation_seq");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<RevocationEntry>();
        long version = 0;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new RevocationEntry(reader.GetString(0), FromMs(reader.GetInt64(1)), reader.GetString(2)));
            version = reader.GetInt64(3);
        }

        return new RevocationSnapshot(version, list);
    }

    /// <inheritdoc />
    public async Task AddAdminTokenAsync(byte[] tokenHash, string label, DateTimeOffset createdAt, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("INSERT INTO at_admin_tokens (token_hash, label, created_at) VALUES ($1, $2, $3)");
        command.Parameters.AddWithValue(tokenHash);
        command.Parameters.AddWithValue(label);
        command.Parameters.AddWithValue(createdAt.ToUnixTimeMilliseconds());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AdminTokenRecord>> GetAdminTokensAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT token_hash, label FROM at_admin_tokens ORDER BY created_at");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<AdminTokenRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new AdminTokenRecord((byte[])reader.GetValue(0), reader.GetString(1)));
        }

        return list;
    }

    /// <inheritdoc />
    public async Task<CheckpointOutcome> RecordCheckpointAsync(CheckpointRecord proposed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(proposed);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        // Serialise writers of one log: the advisory lock exists even when the row does not yet.
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", connection, transaction))
        {
            lockCommand.Parameters.AddWithValue(proposed.LogId);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var current = await ReadCheckpointAsync(connection, transaction, proposed.LogId, cancellationToken).ConfigureAwait(false);
        var decision = CheckpointRules.Decide(current, proposed);
        if (decision != CheckpointOutcomeKind.Accepted)
        {
            return new CheckpointOutcome(decision, current);
        }

        await using var upsert = new NpgsqlCommand(
            """
            INSERT INTO at_checkpoints (log_id, record_count, record_hash, submitter, anchored_at, anchor_json) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (log_id) DO UPDATE SET record_count = excluded.record_count, record_hash = excluded.record_hash,
                anchored_at = excluded.anchored_at, anchor_json = excluded.anchor_json
            """,
            connection,
            transaction);
        upsert.Parameters.AddWithValue(proposed.LogId);
        upsert.Parameters.AddWithValue(proposed.RecordCount);
        upsert.Parameters.AddWithValue(proposed.RecordHash);
        upsert.Parameters.AddWithValue(proposed.Submitter);
        upsert.Parameters.AddWithValue(proposed.AnchoredAt.ToUnixTimeMilliseconds());
        upsert.Parameters.AddWithValue(proposed.AnchorJson);
        await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new CheckpointOutcome(CheckpointOutcomeKind.Accepted, proposed);
    }

    /// <inheritdoc />
    public async Task<CheckpointRecord?> GetCheckpointAsync(string logId, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadCheckpointAsync(connection, null, logId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private static async Task<CheckpointRecord?> ReadCheckpointAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string logId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT log_id, record_count, record_hash, submitter, anchored_at, anchor_json FROM at_checkpoints WHERE log_id = $1",
            connection,
            transaction);
        command.Parameters.AddWithValue(logId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new CheckpointRecord(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), FromMs(reader.GetInt64(4)), reader.GetString(5));
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
