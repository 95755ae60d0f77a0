using AgentTrust.Replay;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AgentTrust.Storage.PostgreSql;

/// <summary>
/// An <see cref="IReplayStore"/> in PostgreSQL, shared by every process (on any machine) using the same database.
/// A registration is one statement, <c>INSERT … ON CONFLICT (partition, value) DO UPDATE … WHERE expired
/// RETURNING</c>: the primary key makes concurrent registrations of one value yield exactly one
/// <see cref="ReplayCheckResult.Accepted"/>. Statement-level triggers keep the entry counts, so the capacity check is
/// two index lookups; expired rows are deleted in bounded batches (<c>FOR UPDATE SKIP LOCKED</c>), at most once per
/// <see cref="PostgresReplayStoreOptions.SweepInterval"/> per instance and before a full store answers
/// <see cref="ReplayCheckResult.CapacityExceeded"/>.
/// </summary>
/// <remarks>
/// Expiry is decided by this process's <see cref="TimeProvider"/>, not the database clock: keep the machines sharing
/// a store synchronised. The capacity bounds are read from the counters before the insert, so concurrent writers can
/// overshoot them by at most their number; live entries are never evicted. Database failures are logged and answered
/// with <see cref="ReplayCheckResult.StoreUnavailable"/> (fail closed).
/// </remarks>
public sealed partial class PostgresReplayStore : IReplayStore, IAsyncDisposable
{
    /// <summary>The component name of this store's tables in <c>agenttrust_schema_versions</c>.</summary>
    public const string SchemaComponent = "replay";

    private static readonly string[] Migrations =
    [
        // Version 1: entries keyed by (partition, value) compared byte for byte (collation "C"), an expiry index for
        // sweeps, and counters kept by statement-level triggers for the capacity bounds.
        """
        CREATE TABLE replay_entries (
            partition text COLLATE "C" NOT NULL,
            value text COLLATE "C" NOT NULL,
            expires_at_ms bigint NOT NULL,
            PRIMARY KEY (partition, value)
        );
        CREATE INDEX replay_entries_by_expiry ON replay_entries (expires_at_ms);
        CREATE TABLE replay_partition_counts (
            partition text COLLATE "C" NOT NULL PRIMARY KEY,
            entries bigint NOT NULL
        );
        CREATE TABLE replay_total (
            id integer NOT NULL PRIMARY KEY CHECK (id = 0),
            entries bigint NOT NULL
        );
        INSERT INTO replay_total (id, entries) VALUES (0, 0);

        CREATE FUNCTION replay_entries_counted_in() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM inserted_rows) THEN
                UPDATE replay_total SET entries = entries + (SELECT count(*) FROM inserted_rows) WHERE id = 0;
                INSERT INTO replay_partition_counts AS c (partition, entries)
                    SELECT partition, count(*) FROM inserted_rows GROUP BY partition
                    ON CONFLICT (partition) DO UPDATE SET entries = c.entries + excluded.entries;
            END IF;
            RETURN NULL;
        END $$;

        CREATE FUNCTION replay_entries_counted_out() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM deleted_rows) THEN
                UPDATE replay_total SET entries = entries - (SELECT count(*) FROM deleted_rows) WHERE id = 0;
                UPDATE replay_partition_counts AS c SET entries = c.entries - d.removed
                    FROM (SELECT partition, count(*) AS removed FROM deleted_rows GROUP BY partition) AS d
                    WHERE c.partition = d.partition;
                DELETE FROM replay_partition_counts
                    WHERE entries <= 0 AND partition IN (SELECT partition FROM deleted_rows);
            END IF;
            RETURN NULL;
        END $$;

        CREATE TRIGGER replay_entries_counted_in AFTER INSERT ON replay_entries
            REFERENCING NEW TABLE AS inserted_rows FOR EACH STATEMENT EXECUTE FUNCTION replay_entries_counted_in();
        CREATE TRIGGER replay_entries_counted_out AFTER DELETE ON replay_entries
            REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT EXECUTE FUNCTION replay_entries_counted_out();
        """,

        // Version 2: who registered each value (attestation.md §3.3 re-presentation by the same presenter).
        """ALTER TABLE replay_entries ADD COLUMN holder text COLLATE "C" """,
    ];

    // Inserts a new value when both bounds allow it, or re-arms an expired row in place; reports in the same round
    // trip whether a live row was already there (the outer query sees the snapshot from before the insert).
    private const string RegisterSql = """
        WITH registered AS (
            INSERT INTO replay_entries AS e (partition, value, expires_at_ms, holder)
            SELECT @partition, @value, @expires, @holder
            WHERE (SELECT entries FROM replay_total WHERE id = 0) < @max_entries
              AND COALESCE((SELECT entries FROM replay_partition_counts WHERE partition = @partition), 0) < @max_per_partition
            ON CONFLICT (partition, value) DO UPDATE SET expires_at_ms = excluded.expires_at_ms, holder = excluded.holder
            WHERE e.expires_at_ms <= @now
            RETURNING 1)
        SELECT EXISTS (SELECT 1 FROM registered), live.found, live.holder
        FROM (SELECT 1) AS one
        LEFT JOIN (SELECT true AS found, holder FROM replay_entries
                   WHERE partition = @partition AND value = @value AND expires_at_ms > @now) AS live ON true
        """;

    private const string LiveHolderSql =
        "SELECT holder FROM replay_entries WHERE partition = @partition AND value = @value AND expires_at_ms > @now";

    private const string SweepSql = """
        DELETE FROM replay_entries WHERE ctid = ANY (ARRAY (
            SELECT ctid FROM replay_entries WHERE expires_at_ms <= @now
            ORDER BY expires_at_ms LIMIT @batch FOR UPDATE SKIP LOCKED))
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly PostgresReplayStoreOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private long _nextSweepTicks;

    private PostgresReplayStore(NpgsqlDataSource dataSource, bool ownsDataSource, PostgresReplayStoreOptions options, TimeProvider timeProvider, ILogger logger)
    {
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        _nextSweepTicks = timeProvider.GetUtcNow().UtcTicks;
    }

    /// <summary>Opens the store on a data source the caller owns (and disposes), applying pending migrations.</summary>
    /// <param name="dataSource">The database.</param>
    /// <param name="options">Limits and sweeping; defaults when null.</param>
    /// <param name="timeProvider">The clock deciding what has expired; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="logger">Where storage failures are logged; nowhere when null.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <returns>The open store.</returns>
    /// <exception cref="NpgsqlException">The database cannot be reached.</exception>
    /// <exception cref="InvalidOperationException">The database's schema is newer than this build.</exception>
    public static Task<PostgresReplayStore> OpenAsync(NpgsqlDataSource dataSource, PostgresReplayStoreOptions? options = null, TimeProvider? timeProvider = null, ILogger<PostgresReplayStore>? logger = null, CancellationToken cancellationToken = default) =>
        OpenCoreAsync(dataSource, ownsDataSource: false, options, timeProvider, logger, cancellationToken);

    /// <summary>Opens the store on a connection string (the store owns the connection pool), applying pending migrations.</summary>
    /// <param name="connectionString">The Npgsql connection string.</param>
    /// <param name="options">Limits and sweeping; defaults when null.</param>
    /// <param name="timeProvider">The clock deciding what has expired; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="logger">Where storage failures are logged; nowhere when null.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <returns>The open store; dispose it to close its connections.</returns>
    /// <exception cref="NpgsqlException">The database cannot be reached.</exception>
    /// <exception cref="InvalidOperationException">The database's schema is newer than this build.</exception>
    public static async Task<PostgresReplayStore> OpenAsync(string connectionString, PostgresReplayStoreOptions? options = null, TimeProvider? timeProvider = null, ILogger<PostgresReplayStore>? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        var dataSource = NpgsqlDataSource.Create(connectionString);
        try
        {
            return await OpenCoreAsync(dataSource, ownsDataSource: true, options, timeProvider, logger, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
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

        var nowMs = now.ToUnixTimeMilliseconds();
        var expiresMs = ReplayKeyRules.ToUnixMillisecondsCeiling(expiresAt);
        try
        {
            await SweepIfDueAsync(now, nowMs, cancellationToken).ConfigureAwait(false);

            var (registered, wasLive, liveHolder) = await RegisterAsync(partition, value, expiresMs, holder, nowMs, cancellationToken).ConfigureAwait(false);
            if (registered)
            {
                return new ReplayRegistration(ReplayCheckResult.Accepted, holder);
            }

            if (wasLive)
            {
                return new ReplayRegistration(ReplayCheckResult.Replayed, liveHolder);
            }

            // Neither registered nor live before: a bound refused it, or a concurrent writer registered it after our
            // snapshot. Reclaim what has expired, try once more, and ask again with a fresh snapshot.
            if (await SweepOnceAsync(nowMs, cancellationToken).ConfigureAwait(false) > 0)
            {
                (registered, _, _) = await RegisterAsync(partition, value, expiresMs, holder, nowMs, cancellationToken).ConfigureAwait(false);
                if (registered)
                {
                    return new ReplayRegistration(ReplayCheckResult.Accepted, holder);
                }
            }

            var (live, currentHolder) = await GetLiveAsync(partition, value, nowMs, cancellationToken).ConfigureAwait(false);
            return live
                ? new ReplayRegistration(ReplayCheckResult.Replayed, currentHolder)
                : new ReplayRegistration(ReplayCheckResult.CapacityExceeded, null);
        }
        catch (NpgsqlException exception) when (!cancellationToken.IsCancellationRequested)
        {
            LogStoreUnavailable(_logger, exception);
            return new ReplayRegistration(ReplayCheckResult.StoreUnavailable, null);
        }
    }

    /// <inheritdoc />
    public async ValueTask<long> PurgeExpiredAsync(CancellationToken cancellationToken = default)
    {
        var nowMs = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        long total = 0;
        int removed;
        do
        {
            removed = await SweepOnceAsync(nowMs, cancellationToken).ConfigureAwait(false);
            total += removed;
        }
        while (removed == _options.SweepBatchSize);
        return total;
    }

    /// <inheritdoc />
    public async ValueTask<long> CountAsync(CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand("SELECT entries FROM replay_total WHERE id = 0");
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Closes the connection pool when the store created it.</summary>
    /// <returns>A task completing when the pool is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_ownsDataSource)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<PostgresReplayStore> OpenCoreAsync(NpgsqlDataSource dataSource, bool ownsDataSource, PostgresReplayStoreOptions? options, TimeProvider? timeProvider, ILogger? logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        options ??= new PostgresReplayStoreOptions();
        ArgumentNullException.ThrowIfNull(options.Limits);
        options.Limits.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SweepInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.SweepBatchSize);
        await PostgresSchemaMigrator.ApplyAsync(dataSource, SchemaComponent, Migrations, cancellationToken).ConfigureAwait(false);
        return new PostgresReplayStore(dataSource, ownsDataSource, options, timeProvider ?? TimeProvider.System, logger ?? NullLogger.Instance);
    }

    private async Task<(bool Registered, bool WasLive, string? Holder)> RegisterAsync(string partition, string value, long expiresMs, string? holder, long nowMs, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(RegisterSql);
        command.Parameters.AddWithValue("partition", partition);
        command.Parameters.AddWithValue("value", value);
        command.Parameters.AddWithValue("expires", expiresMs);
        command.Parameters.Add(new NpgsqlParameter<string?>("holder", NpgsqlTypes.NpgsqlDbType.Text) { TypedValue = holder });
        command.Parameters.AddWithValue("now", nowMs);
        command.Parameters.AddWithValue("max_entries", _options.Limits.MaxEntries);
        command.Parameters.AddWithValue("max_per_partition", _options.Limits.MaxEntriesPerPartition);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return (false, false, null);
        }

        var live = !reader.IsDBNull(1);
        return (reader.GetBoolean(0), live, live && !reader.IsDBNull(2) ? reader.GetString(2) : null);
    }

    private async Task<(bool Live, string? Holder)> GetLiveAsync(string partition, string value, long nowMs, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(LiveHolderSql);
        command.Parameters.AddWithValue("partition", partition);
        command.Parameters.AddWithValue("value", value);
        command.Parameters.AddWithValue("now", nowMs);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return (false, null);
        }

        return (true, reader.IsDBNull(0) ? null : reader.GetString(0));
    }

    private async Task SweepIfDueAsync(DateTimeOffset now, long nowMs, CancellationToken cancellationToken)
    {
        var due = Interlocked.Read(ref _nextSweepTicks);
        if (now.UtcTicks < due
            || Interlocked.CompareExchange(ref _nextSweepTicks, (now + _options.SweepInterval).UtcTicks, due) != due)
        {
            return;
        }

        await SweepOnceAsync(nowMs, cancellationToken).ConfigureAwait(false);
    }

    private async Task<int> SweepOnceAsync(long nowMs, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(SweepSql);
        command.Parameters.AddWithValue("now", nowMs);
        command.Parameters.AddWithValue("batch", _options.SweepBatchSize);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Replay store unavailable; the registration is rejected (fail closed).")]
    private static partial void LogStoreUnavailable(ILogger logger, Exception exception);
}
