using System.Globalization;
using AgentTrust.Replay;
using Microsoft.Data.Sqlite;

namespace AgentTrust.Storage.Sqlite;

/// <summary>
/// An <see cref="IReplayStore"/> in a SQLite file (WAL mode), shared by every process that opens the same file.
/// A registration is one <c>INSERT … ON CONFLICT DO UPDATE … WHERE expired</c> statement: SQLite serialises writers,
/// so two processes registering the same value get exactly one <see cref="ReplayCheckResult.Accepted"/>. Entry
/// counts are kept by triggers, so the capacity check costs two index lookups, never a count of the table. Expired
/// rows are deleted in bounded batches, at most once per <see cref="SqliteReplayStoreOptions.SweepInterval"/>, and
/// before a full store answers <see cref="ReplayCheckResult.CapacityExceeded"/>. Without a flush per commit
/// (<see cref="SqliteReplayStoreOptions.DurableCommits"/> false) the store keeps a <see cref="RestartFence"/> instead.
/// The log is copied back into the database file by a background checkpoint (every
/// <see cref="SqliteReplayStoreOptions.CheckpointInterval"/>), never inside a registration.
/// </summary>
/// <remarks>
/// One instance holds one connection and runs one operation at a time; open one instance per process (or per
/// component) and share it between threads. Storage failures are answered with
/// <see cref="ReplayCheckResult.StoreUnavailable"/> (fail closed).
/// </remarks>
public sealed class SqliteReplayStore : IReplayStore, IDisposable, IAsyncDisposable
{
    /// <summary>The component name of this store's tables in <c>agenttrust_schema_versions</c>.</summary>
    public const string SchemaComponent = "replay";

    private static readonly string[] Migrations =
    [
        // Version 1: entries keyed by (partition, value) compared byte for byte (BINARY collation), an expiry index
        // for sweeps, and trigger-maintained counts for the capacity bounds.
        """
        CREATE TABLE replay_entries (
            partition TEXT NOT NULL,
            value TEXT NOT NULL,
            expires_at_ms INTEGER NOT NULL,
            PRIMARY KEY (partition, value)
        ) WITHOUT ROWID;
        CREATE INDEX replay_entries_by_expiry ON replay_entries (expires_at_ms);
        CREATE TABLE replay_partition_counts (
            partition TEXT NOT NULL PRIMARY KEY,
            entries INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE replay_total (
            id INTEGER NOT NULL PRIMARY KEY CHECK (id = 0),
            entries INTEGER NOT NULL
        );
        INSERT INTO replay_total (id, entries) VALUES (0, 0);
        CREATE TRIGGER replay_entries_counted_in AFTER INSERT ON replay_entries
        BEGIN
            UPDATE replay_total SET entries = entries + 1 WHERE id = 0;
            INSERT INTO replay_partition_counts (partition, entries) VALUES (NEW.partition, 1)
                ON CONFLICT (partition) DO UPDATE SET entries = entries + 1;
        END;
        CREATE TRIGGER replay_entries_counted_out AFTER DELETE ON replay_entries
        BEGIN
            UPDATE replay_total SET entries = entries - 1 WHERE id = 0;
            UPDATE replay_partition_counts SET entries = entries - 1 WHERE partition = OLD.partition;
            DELETE FROM replay_partition_counts WHERE partition = OLD.partition AND entries <= 0;
        END;
        """,

        // Version 2: who registered each value (attestation.md §3.3 re-presentation by the same presenter).
        "ALTER TABLE replay_entries ADD COLUMN holder TEXT",

        // Version 3: the restart fence (one row). boot_id is the machine's boot when the file was last opened;
        // fence_ms the instant before which registrations may have been lost by an unclean restart (NULL: none).
        "CREATE TABLE replay_meta (id INTEGER NOT NULL PRIMARY KEY CHECK (id = 0), boot_id TEXT, fence_ms INTEGER)",
    ];

    // Inserts a new value when both bounds allow it, or re-arms an expired row in place (the row count does not
    // change then). One row changed means first use.
    private const string RegisterSql = """
        INSERT INTO replay_entries (partition, value, expires_at_ms, holder)
        SELECT $partition, $value, $expires, $holder
        WHERE (SELECT entries FROM replay_total WHERE id = 0) < $max_entries
          AND COALESCE((SELECT entries FROM replay_partition_counts WHERE partition = $partition), 0) < $max_per_partition
        ON CONFLICT (partition, value) DO UPDATE SET expires_at_ms = excluded.expires_at_ms, holder = excluded.holder
        WHERE replay_entries.expires_at_ms <= $now
        """;

    private const string LiveHolderSql = "SELECT holder FROM replay_entries WHERE partition = $partition AND value = $value AND expires_at_ms > $now";

    private const string SweepSql = """
        DELETE FROM replay_entries WHERE (partition, value) IN (
            SELECT partition, value FROM replay_entries WHERE expires_at_ms <= $now ORDER BY expires_at_ms LIMIT $batch)
        """;

    private readonly SqliteConnection _connection;
    private readonly SqliteReplayStoreOptions _options;
    private readonly TimeProvider _timeProvider;
    // The log's size, in frames (pages), beyond which the background checkpoint holds the gate to catch up (16 MiB of
    // 4 KiB pages); SQLite's own checkpoint inside a commit, as the bound that holds even when that task gets no thread
    // for seconds on a loaded machine (64 MiB); the size the log file is cut back to when it starts again.
    private const long CatchUpFrames = 4096;
    private const long SafetyNetFrames = 16384;
    private const long JournalSizeLimitBytes = 16L * 1024 * 1024;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SqliteCommand _register;
    private readonly SqliteCommand _isLive;
    private readonly SqliteCommand _sweep;
    private readonly SqliteCommand _count;
    private readonly SqliteWalCheckpointer _checkpointer;
    private DateTimeOffset _nextSweep;
    private bool _disposed;

    private SqliteReplayStore(SqliteConnection connection, SqliteConnection checkpointConnection, SqliteReplayStoreOptions options, TimeProvider timeProvider, bool commitsAreDurable, DateTimeOffset? restartFence)
    {
        CommitsAreDurable = commitsAreDurable;
        RestartFence = restartFence;
        _connection = connection;
        _options = options;
        _timeProvider = timeProvider;
        _nextSweep = timeProvider.GetUtcNow();
        var timeoutSeconds = Math.Max(1, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds));
        _register = Prepare(RegisterSql, timeoutSeconds, "$partition", "$value", "$expires", "$holder", "$max_entries", "$max_per_partition", "$now");
        _isLive = Prepare(LiveHolderSql, timeoutSeconds, "$partition", "$value", "$now");
        _sweep = Prepare(SweepSql, timeoutSeconds, "$now", "$batch");
        _count = Prepare("SELECT entries FROM replay_total WHERE id = 0", timeoutSeconds);
        _register.Parameters["$max_entries"].Value = options.Limits.MaxEntries;
        _register.Parameters["$max_per_partition"].Value = options.Limits.MaxEntriesPerPartition;
        _sweep.Parameters["$batch"].Value = options.SweepBatchSize;

        // Last: nothing after it can fail and leave its task running.
        _checkpointer = new SqliteWalCheckpointer(checkpointConnection, _gate, options.CheckpointInterval, CatchUpFrames, timeProvider);
    }

    /// <summary>
    /// True when every registration is flushed to disk before it is answered (<c>synchronous=FULL</c>): asked for
    /// with <see cref="SqliteReplayStoreOptions.DurableCommits"/>, or forced because no boot id could be read, so a
    /// restart fence could not be kept.
    /// </summary>
    public bool CommitsAreDurable { get; }

    /// <summary>
    /// Registrations made before this instant may have been lost by an unclean restart of the machine; callers must
    /// refuse messages dated at or before it (plus their future skew). Set by the first open after a reboot of a file
    /// ever opened with <see cref="SqliteReplayStoreOptions.DurableCommits"/> false (every process opening the file
    /// during that boot sees the same instant); also set when such a file predates the fence (schema version 3).
    /// Null when nothing can have been lost.
    /// </summary>
    public DateTimeOffset? RestartFence { get; }

    /// <summary>
    /// Opens (creating when missing) the database file, switches it to WAL mode, applies pending migrations, and
    /// reads or sets the restart fence (see <see cref="RestartFence"/>).
    /// </summary>
    /// <param name="options">The file and limits.</param>
    /// <param name="timeProvider">The clock deciding what has expired; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <returns>The open store; dispose it to close the file.</returns>
    /// <exception cref="SqliteException">The file cannot be opened or is not a database.</exception>
    /// <exception cref="InvalidOperationException">The file is not in WAL mode after asking, or its schema is newer than this build.</exception>
    public static async Task<SqliteReplayStore> OpenAsync(SqliteReplayStoreOptions options, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.DatabasePath);
        ArgumentNullException.ThrowIfNull(options.Limits);
        options.Limits.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.BusyTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SweepInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.SweepBatchSize);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.CheckpointInterval, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(options.BootIdSource);
        timeProvider ??= TimeProvider.System;
        var bootId = options.BootIdSource();
        var fenced = !options.DurableCommits && !string.IsNullOrEmpty(bootId);

        SQLitePCL.Batteries_V2.Init();
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = options.DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds)),
        };
        var connection = new SqliteConnection(builder.ConnectionString);
        SqliteConnection? checkpointConnection = null;
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var busyMs = (long)options.BusyTimeout.TotalMilliseconds;
            await ExecutePragmaAsync(connection, $"PRAGMA busy_timeout = {busyMs.ToString(CultureInfo.InvariantCulture)}", cancellationToken).ConfigureAwait(false);
            var mode = await ExecutePragmaAsync(connection, "PRAGMA journal_mode = WAL", cancellationToken).ConfigureAwait(false);
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"SQLite refused WAL mode for the replay store (journal_mode is '{mode}').");
            }

            // Migrations and the fence are always written with FULL: a fence must never be lost by the next crash.
            await ExecutePragmaAsync(connection, "PRAGMA synchronous = FULL", cancellationToken).ConfigureAwait(false);
            DateTimeOffset? fence = null;
            await SqliteSchemaMigrator.ApplyAsync(
                connection,
                SchemaComponent,
                Migrations,
                timeProvider,
                async (previousVersion, ct) => fence = await ApplyRestartFenceAsync(connection, bootId, fenced, brandNew: previousVersion == 0, timeProvider.GetUtcNow(), ct).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            if (fenced)
            {
                await ExecutePragmaAsync(connection, "PRAGMA synchronous = NORMAL", cancellationToken).ConfigureAwait(false);
            }

            // Checkpoints run in the background (SqliteWalCheckpointer), not inside a registration; SQLite's own stays as
            // a bound far above where the background one keeps the log.
            await ExecutePragmaAsync(connection, FormattableString.Invariant($"PRAGMA wal_autocheckpoint = {SafetyNetFrames}"), cancellationToken).ConfigureAwait(false);
            await ExecutePragmaAsync(connection, FormattableString.Invariant($"PRAGMA journal_size_limit = {JournalSizeLimitBytes}"), cancellationToken).ConfigureAwait(false);
            checkpointConnection = new SqliteConnection(builder.ConnectionString);
            await checkpointConnection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecutePragmaAsync(checkpointConnection, "PRAGMA synchronous = FULL", cancellationToken).ConfigureAwait(false);
            await ExecutePragmaAsync(checkpointConnection, FormattableString.Invariant($"PRAGMA journal_size_limit = {JournalSizeLimitBytes}"), cancellationToken).ConfigureAwait(false);
            return new SqliteReplayStore(connection, checkpointConnection, options, timeProvider, !fenced, fence);
        }
        catch
        {
            if (checkpointConnection is not null)
            {
                await checkpointConnection.DisposeAsync().ConfigureAwait(false);
            }

            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask<ReplayCheckResult> TryRegisterAsync(string partition, string value, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
        (await TryRegisterAsync(partition, value, expiresAt, holder: null, cancellationToken).ConfigureAwait(false)).Result;

    /// <inheritdoc />
    public async ValueTask<ReplayRegistration> TryRegisterAsync(string partition, string value, DateTimeOffset expiresAt, string? holder, CancellationToken cancellationToken = default)
    {
        var now = _timeProvider.GetUtcNow();
        if (!ReplayKeyRules.IsAcceptable(partition, value, expiresAt, now, _options.Limits) || !ReplayKeyRules.IsAcceptableHolder(holder, _options.Limits))
        {
            return new ReplayRegistration(ReplayCheckResult.InvalidRequest, null);
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var nowMs = now.ToUnixTimeMilliseconds();
            if (now >= _nextSweep)
            {
                _nextSweep = now + _options.SweepInterval;
                SweepOnce(nowMs);
            }

            var expiresMs = ReplayKeyRules.ToUnixMillisecondsCeiling(expiresAt);
            if (TryInsert(partition, value, expiresMs, holder, nowMs))
            {
                return new ReplayRegistration(ReplayCheckResult.Accepted, holder);
            }

            if (TryGetLive(partition, value, nowMs, out var liveHolder))
            {
                return new ReplayRegistration(ReplayCheckResult.Replayed, liveHolder);
            }

            // Not live and not inserted: a bound refused it. Reclaim what has expired, then try once more.
            if (SweepOnce(nowMs) > 0 && TryInsert(partition, value, expiresMs, holder, nowMs))
            {
                return new ReplayRegistration(ReplayCheckResult.Accepted, holder);
            }

            return TryGetLive(partition, value, nowMs, out liveHolder)
                ? new ReplayRegistration(ReplayCheckResult.Replayed, liveHolder)
                : new ReplayRegistration(ReplayCheckResult.CapacityExceeded, null);
        }
        catch (SqliteException)
        {
            return new ReplayRegistration(ReplayCheckResult.StoreUnavailable, null);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<long> PurgeExpiredAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var nowMs = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
            long total = 0;
            int removed;
            do
            {
                cancellationToken.ThrowIfCancellationRequested();
                removed = SweepOnce(nowMs);
                total += removed;
            }
            while (removed == _options.SweepBatchSize);
            return total;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<long> CountAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return Convert.ToInt64(_count.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Closes the database file.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Closes the database file (after stopping the background checkpoint).</summary>
    /// <returns>A task completing when the file is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _checkpointer.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            await CloseAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask CloseAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _register.Dispose();
            _isLive.Dispose();
            _sweep.Dispose();
            _count.Dispose();
            _connection.Dispose();
        }
        finally
        {
            _gate.Release();
        }
    }

    // Runs in the migration transaction (BEGIN IMMEDIATE, so concurrent openers agree): a file last opened during
    // another boot gets a fence at now, which every later opener of this boot reads back; a file used before the fence
    // existed gets one too when opened without flushes; a brand-new file (its tables created by this very transaction)
    // has nothing to lose. A file that never had a non-durable opener (no meta row) is left alone by durable openers.
    private static async Task<DateTimeOffset?> ApplyRestartFenceAsync(SqliteConnection connection, string? bootId, bool fenced, bool brandNew, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var hasRow = false;
        string? storedBoot = null;
        long? storedFence = null;
        using (var read = connection.CreateCommand())
        {
            read.CommandText = "SELECT boot_id, fence_ms FROM replay_meta WHERE id = 0";
            using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                hasRow = true;
                storedBoot = reader.IsDBNull(0) ? null : reader.GetString(0);
                storedFence = reader.IsDBNull(1) ? null : reader.GetInt64(1);
            }
        }

        long? fenceMs;
        if (hasRow ? string.Equals(storedBoot, bootId, StringComparison.Ordinal) : !fenced)
        {
            fenceMs = storedFence;
        }
        else
        {
            fenceMs = !hasRow && brandNew ? null : ReplayKeyRules.ToUnixMillisecondsCeiling(now);
            using var write = connection.CreateCommand();
            write.CommandText = "INSERT INTO replay_meta (id, boot_id, fence_ms) VALUES (0, $boot, $fence) ON CONFLICT (id) DO UPDATE SET boot_id = excluded.boot_id, fence_ms = excluded.fence_ms";
            write.Parameters.AddWithValue("$boot", (object?)bootId ?? DBNull.Value);
            write.Parameters.AddWithValue("$fence", (object?)fenceMs ?? DBNull.Value);
            await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return fenceMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }

    private static async Task<string?> ExecutePragmaAsync(SqliteConnection connection, string pragma, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
#pragma warning disable CA2100 // Constant pragmas built from numbers, never user input.
        command.CommandText = pragma;
#pragma warning restore CA2100
        return Convert.ToString(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    private SqliteCommand Prepare(string sql, int timeoutSeconds, params string[] parameterNames)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = timeoutSeconds;
        foreach (var name in parameterNames)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        command.Prepare();
        return command;
    }

    private bool TryInsert(string partition, string value, long expiresMs, string? holder, long nowMs)
    {
        _register.Parameters["$partition"].Value = partition;
        _register.Parameters["$value"].Value = value;
        _register.Parameters["$expires"].Value = expiresMs;
        _register.Parameters["$holder"].Value = (object?)holder ?? DBNull.Value;
        _register.Parameters["$now"].Value = nowMs;
        if (_register.ExecuteNonQuery() != 1)
        {
            return false;
        }

        _checkpointer.Committed();
        return true;
    }

    private bool TryGetLive(string partition, string value, long nowMs, out string? holder)
    {
        _isLive.Parameters["$partition"].Value = partition;
        _isLive.Parameters["$value"].Value = value;
        _isLive.Parameters["$now"].Value = nowMs;
        using var reader = _isLive.ExecuteReader();
        if (!reader.Read())
        {
            holder = null;
            return false;
        }

        holder = reader.IsDBNull(0) ? null : reader.GetString(0);
        return true;
    }

    private int SweepOnce(long nowMs)
    {
        _sweep.Parameters["$now"].Value = nowMs;
        var removed = _sweep.ExecuteNonQuery();
        if (removed > 0)
        {
            _checkpointer.Committed();
        }

        return removed;
    }
}
