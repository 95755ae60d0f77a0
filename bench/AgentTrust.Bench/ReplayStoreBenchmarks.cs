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

/// <summary>Registrations per second of the SQLite store on a file (WAL), with and without a sync per commit.</summary>
public class SqliteReplayStoreBenchmarks
{
    private string _directory = null!;
    private SqliteReplayStore _store = null!;
    private long _next;

    [Params(false, true)]
    public bool DurableCommits { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        _directory = Directory.CreateTempSubdirectory("agenttrust-bench-sqlite-").FullName;
        _store = await SqliteReplayStore.OpenAsync(new SqliteReplayStoreOptions
        {
            DatabasePath = Path.Combine(_directory, "replay.db"),
            DurableCommits = DurableCommits,
            Limits = new ReplayStoreOptions { MaxEntries = long.MaxValue, MaxEntriesPerPartition = long.MaxValue },
        });
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
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
    private TemporaryPostgresServer _server = null!;
    private PostgresReplayStore _store = null!;
    private long _next;

    [GlobalSetup]
    public async Task Setup()
    {
        _server = await TemporaryPostgresServer.StartAsync();
        var database = await _server.CreateDatabaseAsync("bench");
        _store = await PostgresReplayStore.OpenAsync(database + ";Max Auto Prepare=10", new PostgresReplayStoreOptions
        {
            Limits = new ReplayStoreOptions { MaxEntries = long.MaxValue, MaxEntriesPerPartition = long.MaxValue },
        });
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _store.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Benchmark(Description = "PostgresReplayStore.TryRegisterAsync, 1 caller")]
    public async Task<ReplayCheckResult> PostgresSequential()
    {
        var value = Interlocked.Increment(ref _next).ToString("x32", CultureInfo.InvariantCulture);
        return Check(await _store.TryRegisterAsync("asp_bench", value, DateTimeOffset.UtcNow.AddMinutes(5)));
    }

    [Benchmark(OperationsPerInvoke = Concurrency, Description = "PostgresReplayStore.TryRegisterAsync, 16 callers")]
    public async Task PostgresConcurrent()
    {
        var tasks = new Task<ReplayCheckResult>[Concurrency];
        for (var i = 0; i < Concurrency; i++)
        {
            var value = Interlocked.Increment(ref _next).ToString("x32", CultureInfo.InvariantCulture);
            tasks[i] = _store.TryRegisterAsync($"asp_{i}", value, DateTimeOffset.UtcNow.AddMinutes(5)).AsTask();
        }

        foreach (var result in await Task.WhenAll(tasks))
        {
            Check(result);
        }
    }
}
