using AgentTrust.Replay;
using AgentTrust.Storage.Sqlite;
using AgentTrust.Tests.Support;
using Microsoft.Data.Sqlite;

namespace AgentTrust.Tests.Replay;

public sealed class SqliteReplayStoreConformanceTests : ReplayStoreConformanceTests, IDisposable
{
    private readonly TemporaryDirectory _directory = new("agenttrust-replay-sqlite-");
    private int _files;

    protected override bool SharesAcrossInstances => true;

    protected override Task<string> CreateLocationAsync() =>
        Task.FromResult(_directory.File($"replay-{Interlocked.Increment(ref _files)}.db"));

    protected override async Task<IReplayStore> OpenStoreAsync(string location, ReplayStoreOptions options, TimeProvider timeProvider) =>
        await SqliteReplayStore.OpenAsync(new SqliteReplayStoreOptions { DatabasePath = location, Limits = options, DurableCommits = false }, timeProvider);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }
}

public sealed class SqliteReplayStoreTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new("agenttrust-replay-sqlite-");
    private readonly ManualTimeProvider _clock = ManualTimeProvider.AtUnixSeconds(1_800_000_000);

    public void Dispose() => _directory.Dispose();

    private Task<SqliteReplayStore> OpenAsync(string path, ReplayStoreOptions? limits = null, TimeSpan? sweepInterval = null) =>
        SqliteReplayStore.OpenAsync(
            new SqliteReplayStoreOptions
            {
                DatabasePath = path,
                Limits = limits ?? ReplayStoreOptions.Default,
                SweepInterval = sweepInterval ?? TimeSpan.FromSeconds(30),
                DurableCommits = false,
            },
            _clock);

    [Fact]
    public async Task Opening_sets_WAL_mode_and_records_the_schema_version_once()
    {
        var path = _directory.File("replay.db");
        await using (await OpenAsync(path))
        {
        }

        await using (await OpenAsync(path))
        {
        }

        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
        command.CommandText = "SELECT COUNT(*), MAX(version) FROM agenttrust_schema_versions WHERE component = 'replay'";
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(3, reader.GetInt64(0));
        Assert.Equal(3, reader.GetInt64(1));
    }

    [Fact]
    public async Task A_version_1_file_is_upgraded_on_open_and_keeps_its_entries()
    {
        var path = _directory.File("v1.db");
        var expiry = _clock.GetUtcNow() + TimeSpan.FromMinutes(5);
        await using (var store = await OpenAsync(path))
        {
            Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", "n", expiry));
        }

        // Take the file back to version 1: no holder column, no meta table, no version-2 or -3 row.
        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "ALTER TABLE replay_entries DROP COLUMN holder; DROP TABLE replay_meta; DELETE FROM agenttrust_schema_versions WHERE version >= 2;";
            await command.ExecuteNonQueryAsync();
        }

        await using (var store = await OpenAsync(path))
        {
            Assert.Equal(new ReplayRegistration(ReplayCheckResult.Replayed, null), await store.TryRegisterAsync("asp_a", "n", expiry, "asp_x"));
            Assert.Equal(ReplayCheckResult.Accepted, (await store.TryRegisterAsync("asp_a", "m", expiry, "asp_x")).Result);
            Assert.True((await store.TryRegisterAsync("asp_a", "m", expiry, "asp_y")).IsReplayBy("asp_x"));
        }
    }

    [Fact]
    public async Task A_file_from_a_newer_schema_is_refused()
    {
        var path = _directory.File("future.db");
        await using (await OpenAsync(path))
        {
        }

        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO agenttrust_schema_versions VALUES ('replay', 99, 'later')";
            await command.ExecuteNonQueryAsync();
        }

        await Assert.ThrowsAsync<InvalidOperationException>(() => OpenAsync(path));
    }

    [Fact]
    public async Task Ordinary_traffic_sweeps_expired_rows_once_per_interval()
    {
        await using var store = await OpenAsync(_directory.File("sweep.db"), sweepInterval: TimeSpan.FromMinutes(1));
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", $"old{i}", _clock.GetUtcNow() + TimeSpan.FromSeconds(10)));
        }

        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", "new", _clock.GetUtcNow() + TimeSpan.FromSeconds(10)));
        Assert.Equal(51, await store.CountAsync());

        _clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", "newer", _clock.GetUtcNow() + TimeSpan.FromSeconds(10)));
        Assert.Equal(1, await store.CountAsync());
    }

    [Fact]
    public async Task A_locked_database_is_reported_unavailable_not_accepted()
    {
        var path = _directory.File("locked.db");
        await using var store = await SqliteReplayStore.OpenAsync(
            new SqliteReplayStoreOptions { DatabasePath = path, BusyTimeout = TimeSpan.FromMilliseconds(200), DurableCommits = false }, _clock);

        // Another connection holds the write lock for longer than the busy timeout.
        await using var blocker = new SqliteConnection($"Data Source={path};Pooling=False");
        await blocker.OpenAsync();
        await using var begin = blocker.CreateCommand();
        begin.CommandText = "BEGIN IMMEDIATE";
        await begin.ExecuteNonQueryAsync();

        Assert.Equal(ReplayCheckResult.StoreUnavailable, await store.TryRegisterAsync("asp_a", "n", _clock.GetUtcNow() + TimeSpan.FromMinutes(5)));

        begin.CommandText = "ROLLBACK";
        await begin.ExecuteNonQueryAsync();
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", "n", _clock.GetUtcNow() + TimeSpan.FromMinutes(5)));
    }
}
