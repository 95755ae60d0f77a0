using AgentTrust.Replay;
using AgentTrust.Storage.PostgreSql;
using AgentTrust.Tests.Support;
using Npgsql;

namespace AgentTrust.Tests.Replay;

[Collection(PostgresServer.CollectionName)]
public sealed class PostgresReplayStoreConformanceTests(PostgresServer server) : ReplayStoreConformanceTests
{
    protected override bool SharesAcrossInstances => true;

    protected override bool CapacityIsExactUnderConcurrency => false;

    // One database for the class, one schema per location: far cheaper than a database each.
    protected override async Task<string> CreateLocationAsync() =>
        await server.CreateSchemaAsync(await server.SharedDatabaseAsync(nameof(PostgresReplayStoreConformanceTests)), "replay");

    protected override async Task<IReplayStore> OpenStoreAsync(string location, ReplayStoreOptions options, TimeProvider timeProvider) =>
        await PostgresReplayStore.OpenAsync(location, new PostgresReplayStoreOptions { Limits = options }, timeProvider);
}

[Collection(PostgresServer.CollectionName)]
public sealed class PostgresReplayStoreTests(PostgresServer server)
{
    private readonly ManualTimeProvider _clock = ManualTimeProvider.AtUnixSeconds(1_800_000_000);

    [Fact]
    public async Task Concurrent_opens_apply_the_migration_once()
    {
        var database = await server.CreateDatabaseAsync("replay_migrations");
        var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => PostgresReplayStore.OpenAsync(database, timeProvider: _clock)));
        foreach (var store in stores)
        {
            await store.DisposeAsync();
        }

        await using var dataSource = NpgsqlDataSource.Create(database);
        await using var command = dataSource.CreateCommand("SELECT count(*), max(version) FROM agenttrust_schema_versions WHERE component = 'replay'");
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(2, reader.GetInt64(0));
        Assert.Equal(2, reader.GetInt32(1));
    }

    [Fact]
    public async Task A_version_1_database_is_upgraded_on_open_and_keeps_its_entries()
    {
        var database = await server.CreateDatabaseAsync("replay_upgrade");
        var expiry = _clock.GetUtcNow() + TimeSpan.FromMinutes(5);
        await using (var store = await PostgresReplayStore.OpenAsync(database, timeProvider: _clock))
        {
            Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", "n", expiry));
        }

        // Take the database back to version 1: no holder column, no version-2 row.
        await using (var dataSource = NpgsqlDataSource.Create(database))
        {
            await using var command = dataSource.CreateCommand(
                "ALTER TABLE replay_entries DROP COLUMN holder; DELETE FROM agenttrust_schema_versions WHERE version = 2;");
            await command.ExecuteNonQueryAsync();
        }

        await using (var store = await PostgresReplayStore.OpenAsync(database, timeProvider: _clock))
        {
            Assert.Equal(new ReplayRegistration(ReplayCheckResult.Replayed, null), await store.TryRegisterAsync("asp_a", "n", expiry, "asp_x"));
            Assert.Equal(ReplayCheckResult.Accepted, (await store.TryRegisterAsync("asp_a", "m", expiry, "asp_x")).Result);
            Assert.True((await store.TryRegisterAsync("asp_a", "m", expiry, "asp_y")).IsReplayBy("asp_x"));
        }
    }

    [Fact]
    public async Task A_database_from_a_newer_schema_is_refused()
    {
        var database = await server.CreateDatabaseAsync("replay_future");
        await (await PostgresReplayStore.OpenAsync(database, timeProvider: _clock)).DisposeAsync();
        await using (var dataSource = NpgsqlDataSource.Create(database))
        {
            await using var command = dataSource.CreateCommand("INSERT INTO agenttrust_schema_versions (component, version) VALUES ('replay', 99)");
            await command.ExecuteNonQueryAsync();
        }

        await Assert.ThrowsAsync<InvalidOperationException>(() => PostgresReplayStore.OpenAsync(database, timeProvider: _clock));
    }

    [Fact]
    public async Task An_unreachable_database_is_reported_unavailable_not_accepted()
    {
        var database = await server.CreateDatabaseAsync("replay_outage");
        await using var store = await PostgresReplayStore.OpenAsync(database, timeProvider: _clock);

        // The table disappears under the store (as good as an outage for this statement).
        await using (var dataSource = NpgsqlDataSource.Create(database))
        {
            await using var command = dataSource.CreateCommand("DROP TABLE replay_entries");
            await command.ExecuteNonQueryAsync();
        }

        Assert.Equal(ReplayCheckResult.StoreUnavailable, await store.TryRegisterAsync("asp_a", "n", _clock.GetUtcNow() + TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public async Task Counters_stay_exact_through_batched_sweeps()
    {
        var database = await server.CreateDatabaseAsync("replay_counters");
        await using var store = await PostgresReplayStore.OpenAsync(
            database, new PostgresReplayStoreOptions { SweepBatchSize = 7, Limits = new ReplayStoreOptions { MaxEntriesPerPartition = 20 } }, _clock);
        for (var i = 0; i < 60; i++)
        {
            Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync($"asp_{i % 3}", $"n{i}", _clock.GetUtcNow() + TimeSpan.FromSeconds(1 + (i % 2))));
        }

        Assert.Equal(ReplayCheckResult.CapacityExceeded, await store.TryRegisterAsync("asp_0", "more", _clock.GetUtcNow() + TimeSpan.FromSeconds(5)));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(30, await store.PurgeExpiredAsync());
        Assert.Equal(30, await store.CountAsync());
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_0", "more", _clock.GetUtcNow() + TimeSpan.FromSeconds(5)));

        await using var dataSource = NpgsqlDataSource.Create(database);
        await using var command = dataSource.CreateCommand(
            "SELECT (SELECT count(*) FROM replay_entries) = (SELECT entries FROM replay_total) AND NOT EXISTS (" +
            "SELECT 1 FROM (SELECT partition, count(*) AS n FROM replay_entries GROUP BY partition) AS a " +
            "FULL JOIN replay_partition_counts AS c USING (partition) WHERE a.n IS DISTINCT FROM c.entries)");
        Assert.True((bool)(await command.ExecuteScalarAsync())!);
    }
}
