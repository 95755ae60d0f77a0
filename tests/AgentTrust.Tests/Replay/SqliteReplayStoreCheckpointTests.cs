using System.Globalization;
using AgentTrust.Replay;
using AgentTrust.Storage.Sqlite;
using AgentTrust.Tests.Support;
using Microsoft.Data.Sqlite;

namespace AgentTrust.Tests.Replay;

// SQLite's automatic checkpoint runs inside the commit that crosses ~1000 log pages and flushes the disk there; the
// replay store raises it far above where a background thread keeps the log, so no registration pays for it.
public sealed class SqliteReplayStoreCheckpointTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new("agenttrust-replay-checkpoint-");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }

    internal static Task<SqliteReplayStore> OpenAsync(string path, TimeSpan checkpointInterval) =>
        SqliteReplayStore.OpenAsync(new SqliteReplayStoreOptions { DatabasePath = path, DurableCommits = false, CheckpointInterval = checkpointInterval });

    private static async Task RegisterAsync(SqliteReplayStore store, int count)
    {
        var expires = DateTimeOffset.UtcNow.AddMinutes(5);
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_checkpoint", i.ToString("x32", CultureInfo.InvariantCulture), expires));
        }
    }

    [Fact]
    public async Task Registrations_never_checkpoint_the_log_themselves()
    {
        var path = _directory.File("replay.db");
        await using var store = await OpenAsync(path, TimeSpan.FromHours(1));
        var before = new FileInfo(path).Length;

        // Well past the 1000 log pages at which SQLite checkpoints inside a commit by default.
        await RegisterAsync(store, 1500);

        Assert.Equal(before, new FileInfo(path).Length);
        Assert.True(new FileInfo(path + "-wal").Length > 1000L * 4096, "the commits are in the log");
    }

    [Fact]
    public async Task When_the_background_thread_never_runs_SQLite_s_own_checkpoint_still_bounds_the_log()
    {
        // On a loaded machine the background thread may get no processor for seconds. The bound must hold without it:
        // here it never runs at all.
        var path = _directory.File("replay.db");
        await using var store = await OpenAsync(path, TimeSpan.FromHours(1));

        await RegisterAsync(store, 20_000); // about 44,000 log frames (over 180 MB) if nothing checkpointed

        Assert.True(new FileInfo(path + "-wal").Length <= 68L * 1024 * 1024, $"log of {new FileInfo(path + "-wal").Length} bytes");
    }

    [Fact]
    public async Task The_background_checkpoint_copies_the_log_into_the_database_file()
    {
        var path = _directory.File("replay.db");
        await using var store = await OpenAsync(path, TimeSpan.FromMilliseconds(20));
        var before = new FileInfo(path).Length;

        await RegisterAsync(store, 300);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (new FileInfo(path).Length == before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.True(new FileInfo(path).Length > before, "a checkpoint wrote the registered pages into the database file");
    }

    [Fact]
    public async Task A_checkpoint_interval_of_zero_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => OpenAsync(_directory.File("replay.db"), TimeSpan.Zero));
    }
}
