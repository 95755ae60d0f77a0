using System.Globalization;
using AgentTrust.Replay;
using AgentTrust.Storage.PostgreSql;
using AgentTrust.Storage.Sqlite;
using AgentTrust.Tests.Support;
using BenchmarkDotNet.Attributes;
using static AgentTrust.Bench.BenchmarkChecks;

namespace AgentTrust.Bench;

/// <summary>
/// A clock that advances one microsecond per reading, so a store under benchmark sees values expire at a steady
/// rate and reaches a steady state (about Window / 1 µs live entries) instead of filling up.
/// </summary>
internal sealed class SteppingClock : TimeProvider
{
    private long _ticks = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Add(ref _ticks, TimeSpan.TicksPerMicrosecond), TimeSpan.Zero);
}

internal static class BenchmarkChecks
{
    // A benchmark of a store that answers anything but Accepted would measure a failure path: stop instead.
    public static ReplayCheckResult Check(ReplayCheckResult result) =>
        result == ReplayCheckResult.Accepted ? result : throw new InvalidOperationException($"registration answered {result}");
}

/// <summary>Registrations per second of the in-memory store, against a bare locked HashSet (the raw primitive).</summary>
[MemoryDiagnoser]
public class InMemoryReplayStoreBenchmarks
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(100); // ≈ 100 000 live entries at steady state
    private readonly Lock _gate = new();
    private HashSet<(string, string)> _set = null!;
    private InMemoryReplayStore _store = null!;
    private SteppingClock _clock = null!;
    private long _next;

    [GlobalSetup]
    public void Setup()
    {
        _set = new HashSet<(string, string)>();
        _clock = new SteppingClock();
        _store = new InMemoryReplayStore(timeProvider: _clock);
    }

    [Benchmark(Baseline = true, Description = "raw: lock + HashSet.Add")]
    public bool RawHashSet()
    {
        var value = (++_next).ToString("x32", CultureInfo.InvariantCulture);
        lock (_gate)
        {
            if (_set.Count > 100_000)
            {
                _set.Clear(); // keep the raw set at the store's steady-state size
            }

            return _set.Add(("asp_bench", value));
        }
    }

    [Benchmark(Description = "InMemoryReplayStore.TryRegister")]
    public ReplayCheckResult InMemory()
    {
        var value = (++_next).ToString("x32", CultureInfo.InvariantCulture);
        return Check(_store.TryRegister("asp_bench", value, _clock.GetUtcNow() + Window));
    }
}

/// <summary>
/// Registrations per second of the SQLite store on a file (WAL), with and without a sync per commit, against the raw
/// primitive: one prepared INSERT into a bare keyed table of another file with the same settings.
/// </summary>
public class SqliteReplayStoreBenchmarks
{
    private string _directory = null!;
    private SqliteReplayStore _store = null!;
    private Microsoft.Data.Sqlite.SqliteConnection _raw = null!;
    private Microsoft.Data.Sqlite.SqliteCommand _rawInsert = null!;
    private long _next;

    [Params(false, true)]
    public bool DurableCommits { get; set; }

    // Synchronous on purpose: the in-process toolchain (used on loaded machines) does not await async setups.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _directory = Directory.CreateTempSubdirectory("agenttrust-bench-sqlite-").FullName;
        _store = await SqliteReplayStore.OpenAsync(new SqliteReplayStoreOptions
        {
            DatabasePath = Path.Combine(_directory, "replay.db"),
            DurableCommits = DurableCommits,
            Limits = new ReplayStoreOptions { MaxEntries = long.MaxValue, MaxEntriesPerPartition = long.MaxValue },
        });

        _raw = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_directory, "raw.db")};Pooling=False");
        await _raw.OpenAsync();
        await using (var setup = _raw.CreateCommand())
        {
            setup.CommandText = $"PRAGMA journal_mode = WAL; PRAGMA synchronous = {(DurableCommits ? "FULL" : "NORMAL")}; " +
                "CREATE TABLE raw_values (partition TEXT NOT NULL, value TEXT NOT NULL, expires_at_ms INTEGER NOT NULL, PRIMARY KEY (partition, value)) WITHOUT ROWID;";
            await setup.ExecuteNonQueryAsync();
        }

        _rawInsert = _raw.CreateCommand();
        _rawInsert.CommandText = "INSERT INTO raw_values VALUES ('asp_bench', $value, $expires)";
        _rawInsert.Parameters.Add(new Microsoft.Data.Sqlite.SqliteParameter { ParameterName = "$value" });
        _rawInsert.Parameters.Add(new Microsoft.Data.Sqlite.SqliteParameter { ParameterName = "$expires" });
        _rawInsert.Prepare();
    }

    private async Task CleanupAsync()
    {
        await _store.DisposeAsync();
        await _rawInsert.DisposeAsync();
        await _raw.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "raw: prepared INSERT into a keyed table")]
    public int RawInsert()
    {
        _rawInsert.Parameters[0].Value = (++_next).ToString("x32", CultureInfo.InvariantCulture);
        _rawInsert.Parameters[1].Value = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeMilliseconds();
        return _rawInsert.ExecuteNonQuery();
    }

    [Benchmark(Description = "SqliteReplayStore.TryRegisterAsync")]
    public async Task<ReplayCheckResult> Sqlite()
    {
        var value = (++_next).ToString("x32", CultureInfo.InvariantCulture);
        return Check(await _store.TryRegisterAsync("asp_bench", value, DateTimeOffset.UtcNow.AddMinutes(5)));
    }
}

/// <summary>
/// Registrations per second of the PostgreSQL store against a server started like the test fixture does
/// (initdb into a temp directory, loopback TCP; fsync off, which flatters the figure compared with a durable server).
/// One caller, and 16 concurrent callers (operations per invoke = 16).
/// </summary>
public class PostgresReplayStoreBenchmarks
{
    private const int Concurrency = 16;
    private TemporaryPostgresServer? _server;
    private PostgresReplayStore? _store;
    private Npgsql.NpgsqlDataSource? _raw;
    private long _next;

    // Synchronous on purpose: the in-process toolchain (used on loaded machines) does not await async setups.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        try
        {
            await StartAsync();
        }
        catch
        {
            await CleanupAsync();
            throw;
        }
    }

    private async Task StartAsync()
    {
        _server = await TemporaryPostgresServer.StartAsync();
        var database = await _server.CreateDatabaseAsync("bench") + ";Max Auto Prepare=10";
        _raw = Npgsql.NpgsqlDataSource.Create(database);
        await using (var setup = _raw.CreateCommand(
            "CREATE TABLE raw_values (partition text COLLATE \"C\" NOT NULL, value text COLLATE \"C\" NOT NULL, expires_at_ms bigint NOT NULL, PRIMARY KEY (partition, value))"))
        {
            await setup.ExecuteNonQueryAsync();
        }

        _store = await PostgresReplayStore.OpenAsync(database, new PostgresReplayStoreOptions
        {
            Limits = new ReplayStoreOptions { MaxEntries = long.MaxValue, MaxEntriesPerPartition = long.MaxValue },
        });
    }

    // Null-safe: a setup that failed half-way must still stop the server it started.
    private async Task CleanupAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        if (_raw is not null)
        {
            await _raw.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Benchmark(Baseline = true, Description = "raw: INSERT into a keyed table, 1 caller")]
    public async Task<int> RawInsert()
    {
        await using var command = _raw!.CreateCommand("INSERT INTO raw_values VALUES ('asp_bench', @value, @expires)");
        command.Parameters.AddWithValue("value", Interlocked.Increment(ref _next).ToString("x32", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("expires", DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeMilliseconds());
        return await command.ExecuteNonQueryAsync();
    }

    [Benchmark(Description = "PostgresReplayStore.TryRegisterAsync, 1 caller")]
    public async Task<ReplayCheckResult> PostgresSequential()
    {
        var value = Interlocked.Increment(ref _next).ToString("x32", CultureInfo.InvariantCulture);
        return Check(await _store!.TryRegisterAsync("asp_bench", value, DateTimeOffset.UtcNow.AddMinutes(5)));
    }

    [Benchmark(OperationsPerInvoke = Concurrency, Description = "PostgresReplayStore.TryRegisterAsync, 16 callers")]
    public async Task PostgresConcurrent()
    {
        var tasks = new Task<ReplayCheckResult>[Concurrency];
        for (var i = 0; i < Concurrency; i++)
        {
            var value = Interlocked.Increment(ref _next).ToString("x32", CultureInfo.InvariantCulture);
            tasks[i] = _store!.TryRegisterAsync($"asp_{i}", value, DateTimeOffset.UtcNow.AddMinutes(5)).AsTask();
        }

        foreach (var result in await Task.WhenAll(tasks))
        {
            Check(result);
        }
    }
}
