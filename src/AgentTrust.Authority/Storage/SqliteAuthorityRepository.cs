using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace AgentTrust.Authority.Storage;

/// <summary>
/// The registry in one SQLite file: WAL journal, <c>synchronous=FULL</c> (a committed write survives power loss),
/// writes in <c>BEGIN IMMEDIATE</c> transactions, busy timeout for concurrent processes.
/// </summary>
public sealed class SqliteAuthorityRepository : IAuthorityRepository
{
    private const int SchemaVersion = 1;

    private static readonly string[] Schema =
    [
        """
        CREATE TABLE IF NOT EXISTS passports (
            passport_id TEXT PRIMARY KEY,
            passport_json TEXT NOT NULL,
            key_thumbprint TEXT NOT NULL,
            trust_level INTEGER NOT NULL,
            issued_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            revoked_at INTEGER NULL,
            revocation_reason TEXT NULL,
            revocation_seq INTEGER NULL UNIQUE)
        """,
        """
        CREATE TABLE IF NOT EXISTS trust_level_changes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            passport_id TEXT NOT NULL REFERENCES passports(passport_id),
            old_level INTEGER NOT NULL,
            new_level INTEGER NOT NULL,
            reason TEXT NOT NULL,
            actor TEXT NOT NULL,
            changed_at INTEGER NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS trust_level_changes_passport ON trust_level_changes(passport_id, id)",
        "CREATE TABLE IF NOT EXISTS challenges (challenge TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, used_at INTEGER NULL)",
        "CREATE INDEX IF NOT EXISTS challenges_expiry ON challenges(expires_at)",
        "CREATE TABLE IF NOT EXISTS admin_tokens (token_hash BLOB PRIMARY KEY, label TEXT NOT NULL, created_at INTEGER NOT NULL)",
        """
        CREATE TABLE IF NOT EXISTS checkpoints (
            log_id TEXT PRIMARY KEY,
            record_count INTEGER NOT NULL,
            record_hash TEXT NOT NULL,
            submitter TEXT NOT NULL,
            anchored_at INTEGER NOT NULL,
            anchor_json TEXT NOT NULL)
        """,
    ];

    private const int MaxIdleConnections = 64;

    private readonly string _connectionString;
    private readonly System.Collections.Concurrent.ConcurrentBag<SqliteConnection> _idle = [];
    private int _idleCount;
    private bool _disposed;

    static SqliteAuthorityRepository() => SQLitePCL.Batteries_V2.Init();

    /// <summary>Opens (and creates when missing) the database file at <paramref name="path"/>.</summary>
    public SqliteAuthorityRepository(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
        {
            // The registry holds admin-token hashes and the trust history: owner-only, like the key store.
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <inheritdoc />
    public string Engine => "sqlite";

    /// <inheritdoc />
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var lease = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var connection = lease.Connection;
        await ExecuteAsync(connection, null, "PRAGMA journal_mode=WAL", cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", cancellationToken).ConfigureAwait(false);
        var current = await ScalarAsync(connection, transaction, "SELECT COALESCE(MAX(version), 0) FROM schema_version", cancellationToken).ConfigureAwait(false);
        if (current < SchemaVersion)
        {
            foreach (var statement in Schema)
            {
                await ExecuteAsync(connection, transaction, statement, cancellationToken).ConfigureAwait(false);
            }

            await ExecuteAsync(connection, transaction, $"INSERT INTO schema_version (version) VALUES ({SchemaVersion})", cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task PingAsync(CancellationToken cancellationToken)
    {
        await using var lease = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var connection = lease.Connection;
        await ScalarAsync(connection, null, "SELECT 1", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task StoreChallengeAsync(string challenge, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        await using var lease = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var connection = lease.Connection;
        await using var command = Command(connection, null, "INSERT INTO challenges (challenge, expires_at) VALUES ($c, $e)", ("$c", challenge), ("$e", expiresAt.ToUnixTimeMilliseconds()));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<ChallengeOutcome> PeekChallengeAsync(string challenge, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var lease = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await ChallengeStateAsync(lease.Connection, null, challenge, now, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<ChallengeOutcome> RegisterAsync(string challenge, DateTimeOffset now, PassportRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        await using var lease = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var connection = lease.Connection;
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var ms = now.ToUnixTimeMilliseconds();

        // Claim the challenge first (only one writer can), then insert; a conflict rolls both back.
        await using (var claim = Command(connection, transaction, "UPDATE challenges SET used_at = $u WHERE challenge = $c AND used_at IS NULL AND expires_at > $u", ("$u", ms), ("$c", challenge)))
        {
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

    // The one statement that stores a passport (registration and import): affected rows = 1 means stored.
    private static SqliteCommand InsertPassportCommand(SqliteConnection connection, SqliteTransaction? transaction, PassportRecord record) => Command(
        connection,
        transaction,
        """
        INSERT INTO passports (passport_id, passport_json, key_thumbprint, trust_level, issued_at, expires_at)
        VALUES ($id, $json, $kt, $lvl, $iat, $exp) ON CONFLICT (passport_id) DO NOTHING
        """,
        ("$id", record.PassportId),
        ("$json", record.PassportJson),
        ("$kt", record.KeyThumbprint),
        ("$lvl", record.TrustLevel),
        ("$iat", record.IssuedAt.ToUnixTimeMilliseconds()),
        ("$exp", record.ExpiresAt.ToUnixTimeMilliseconds()));

    private static async Task<ChallengeOutcome> ChallengeStateAsync(SqliteConnection connection, SqliteTransaction? transaction, string challenge, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var select = Command(connection, transaction, "SELECT expires_at, used_at FROM challenges WHERE challenge = $c", ("$c", challenge));
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
        await using var lease = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var connection = lease.Connection;
        await using var command = Command(connection, null, "DELETE FROM challenges WHERE expires_at <= $n", ("$n", now.ToUnixTimeMilliseconds()));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> InsertPassportAsync(PassportRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        await using var lease = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var connection = lease.Connection;
        await using var command = InsertPassportCommand(connection, null, record);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<PassportRecord?> GetPassportAsync(string passportId, CancellationToken cancellationToken)
    {
        await using var lease = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var connection = lease.Connection;
        await using var command = Command(
            connection,
            null,
            "SELECT passport_id, passport_json, key_thumbprint, trust_level, issued_at, expires_at, revoked_at, revocation_reason FROM passports WHERE passport_id = $id",
            ("$id", passportId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadPassport(reader) : null;
    }

    /// <inheritdoc />
    public async Task<RevocationOutcome> RevokeAsync(string passportId, string reason, string actor, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var lease = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var connection = lease.Connection;
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var select = Command(connection, transaction, "SELECT revoked_at FROM passports WHERE passport_id = $id", ("$id", passportId));
        var state = await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        if (state is null)
        {
            return RevocationOutcome.NotFound;
        }

        if (state is not DBNull)
        {
            return RevocationOutcome.AlreadyRevoked;
        }

        var next = await ScalarAsync(connection, transaction, "SELECT COALESCE(MAX(revocation_seq), 0) + 1 FROM passports", cancellationToken).ConfigureAwait(false);
        await using var update = Command(
            connection,
            transaction,
            "UPDATE passports SET revoked_at = $at, revocation_reason = $r, revocation_seq = $seq WHERE passport_id = $id",
            ("$at", at.ToUnixTimeMilliseconds()),
            ("$r", reason),
            ("$seq", next),
            ("$id", passportId));
        await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await using var history = Command(
            connection,
            transaction,
            "INSERT INTO trust_level_changes (passport_id, old_level, new_level, reason, actor, changed_at) SELECT passport_id, trust_level, trust_level, $r, $a, $at FROM passports WHERE passport_id = $id",
            ("$r", "revoked: " + reason),
            ("$a", actor),
            ("$at", at.ToUnixTimeMilliseconds()),
            ("$id", passportId));
        await history.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return RevocationOutcome.Revoked;
    }

    /// <inheritdoc />
    public async Task<TrustLevelOutcome> SetTrustLevelAsync(string passportId, int level, string reason, string actor, DateTimeOffset at, Func<string, string> reissue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reissue);
        await using var lease = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var connection = lease.Connection;
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        int oldLevel;
        bool revoked;
        string passportJson;
        await using (var select = Command(connection, transaction, "SELECT trust_level, revoked_at, passport_json FROM passports WHERE passport_id = $id", ("$id", passportId)))
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

        await using var update = Command(connection, transaction, "UPDATE passports SET trust_level = $l, passport_json = $p WHERE passport_id = $id", ("$l", level), ("$p", reissue(passportJson)), ("$id", passportId));
        await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await using var history = Command(
            connection,
            transaction,
            "INSERT INTO trust_level_changes (passport_id, old_level, new_level, reason, actor, changed_at) VALUES ($id, $o, $n, $r, $a, $at)",
            ("$id", passportId),
            ("$o", oldLevel),
            ("$n", level),
            ("$r", reason),
            ("$a", actor),
            ("$at", at.ToUnixTimeMilliseconds()));
        await history.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new TrustLevelOutcome(TrustLevelOutcomeKind.Changed, oldLevel);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<TrustLevelChange>> GetTrustLevelHistoryAsync(string passportId, CancellationToken cancellationToken)
    {
        await using var lease = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var connection = lease.Connection;
        await using var command = Command(
            connection,
            null,
            "SELECT passport_id, old_level, new_level, reason, actor, changed_at FROM trust_level_changes WHERE passport_id = $id ORDER BY id",
            ("$id", passportId));
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
        await using var lease = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var connection = lease.Connection;
        await using var command = Command(
            connection,
            null,
            "SELECT passport_id, revoked_at, revocation_reason, revocation_seq FROM passports WHERE revocation_seq IS NOT NULL ORDER BY revocation_seq");
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
        await using var lease = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var connection = lease.Connection;
        await using var command = Command(
            connection,
            null,
            "INSERT INTO admin_tokens (token_hash, label, created_at) VALUES ($h, $l, $c)",
            ("$h", tokenHash),
            ("$l", label),
            ("$c", createdAt.ToUnixTimeMilliseconds()));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AdminTokenRecord>> GetAdminTokensAsync(CancellationToken cancellationToken)
    {
        await using var lease = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var connection = lease.Connection;
        await using var command = Command(connection, null, "SELECT token_hash, label FROM admin_tokens ORDER BY created_at");
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
        await using var lease = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var connection = lease.Connection;
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var current = await ReadCheckpointAsync(connection, transaction, proposed.LogId, cancellationToken).ConfigureAwait(false);
        var decision = CheckpointRules.Decide(current, proposed);
        if (decision != CheckpointOutcomeKind.Accepted)
        {
            return new CheckpointOutcome(decision, current);
        }

        await using var upsert = Command(
            connection,
            transaction,
            """
            INSERT INTO checkpoints (log_id, record_count, record_hash, submitter, anchored_at, anchor_json) VALUES ($l, $c, $h, $s, $at, $j)
            ON CONFLICT (log_id) DO UPDATE SET record_count = excluded.record_count, record_hash = excluded.record_hash,
                anchored_at = excluded.anchored_at, anchor_json = excluded.anchor_json
            """,
            ("$l", proposed.LogId),
            ("$c", proposed.RecordCount),
            ("$h", proposed.RecordHash),
            ("$s", proposed.Submitter),
            ("$at", proposed.AnchoredAt.ToUnixTimeMilliseconds()),
            ("$j", proposed.AnchorJson));
        await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new CheckpointOutcome(CheckpointOutcomeKind.Accepted, proposed);
    }

    /// <inheritdoc />
    public async Task<CheckpointRecord?> GetCheckpointAsync(string logId, CancellationToken cancellationToken)
    {
        await using var lease = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var connection = lease.Connection;
        return await ReadCheckpointAsync(connection, null, logId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        while (_idle.TryTake(out var connection))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private sealed class ConnectionLease(SqliteAuthorityRepository owner, SqliteConnection connection) : IAsyncDisposable
    {
        public SqliteConnection Connection => connection;

        public ValueTask DisposeAsync() => owner.ReturnAsync(connection);
    }

    private static async Task<CheckpointRecord?> ReadCheckpointAsync(SqliteConnection connection, SqliteTransaction? transaction, string logId, CancellationToken cancellationToken)
    {
        await using var command = Command(
            connection,
            transaction,
            "SELECT log_id, record_count, record_hash, submitter, anchored_at, anchor_json FROM checkpoints WHERE log_id = $l",
            ("$l", logId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new CheckpointRecord(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), FromMs(reader.GetInt64(4)), reader.GetString(5));
    }

    private static PassportRecord ReadPassport(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetInt32(3),
        FromMs(reader.GetInt64(4)),
        FromMs(reader.GetInt64(5)),
        reader.IsDBNull(6) ? null : FromMs(reader.GetInt64(6)),
        reader.IsDBNull(7) ? null : reader.GetString(7));

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    // Connections are opened and configured once (synchronous=FULL, busy timeout, foreign keys are per connection),
    // then reused: re-running the pragmas on every request cost more than the lookup itself.
    private async Task<ConnectionLease> OpenAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryTake(out var idle))
        {
            Interlocked.Decrement(ref _idleCount);
            return new ConnectionLease(this, idle);
        }

        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, null, "PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON", cancellationToken).ConfigureAwait(false);
            return new ConnectionLease(this, connection);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private ValueTask ReturnAsync(SqliteConnection connection)
    {
        if (!_disposed && connection.State == ConnectionState.Open && Interlocked.Increment(ref _idleCount) <= MaxIdleConnections)
        {
            _idle.Add(connection);
            return ValueTask.CompletedTask;
        }

        if (!_disposed && connection.State == ConnectionState.Open)
        {
            Interlocked.Decrement(ref _idleCount);
        }

        return connection.DisposeAsync();
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, sql);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<long> ScalarAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }
}
