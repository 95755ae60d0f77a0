using System.Globalization;
using System.Runtime.ExceptionServices;
using AgentTrust.Replay;
using AgentTrust.Storage.Sqlite;
using AgentTrust.Tests.Support;
using Microsoft.Data.Sqlite;

namespace AgentTrust.Tests.Replay;

// The log starts again only in a transaction that begins after a checkpoint has copied all of it; under a flood of
// registrations one is always under way, so the log would grow to SQLite's own bound (64 MiB, see
// SqliteReplayStoreCheckpointTests). The background thread holds the store's gate for one pass when the log is over
// 16 MiB, so it starts again long before.
[Collection(TimingSensitiveCollection.Name)]
public sealed class SqliteReplayStoreCatchUpTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new("agenttrust-replay-catch-up-");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }

    [Fact]
    public async Task Under_a_flood_of_registrations_the_background_task_keeps_the_log_small()
    {
        var path = _directory.File("replay.db");
        await using var store = await SqliteReplayStore.OpenAsync(new SqliteReplayStoreOptions
        {
            DatabasePath = path,
            DurableCommits = false,
            CheckpointInterval = TimeSpan.FromMilliseconds(10),
        });

        // From a dedicated thread, as the gateway's pumps register.
        long largest = 0;
        ExceptionDispatchInfo? failure = null;
        var flood = new Thread(() =>
        {
            try
            {
                var expires = DateTimeOffset.UtcNow.AddMinutes(5);
                for (var i = 0; i < 20_000; i++) // about 44,000 log frames (180 MB) if nothing started the log again
                {
                    var value = i.ToString("x32", CultureInfo.InvariantCulture);
                    Assert.Equal(ReplayCheckResult.Accepted, store.TryRegisterAsync("asp_catch_up", value, expires).AsTask().GetAwaiter().GetResult());
                    if (i % 100 == 0)
                    {
                        largest = Math.Max(largest, new FileInfo(path + "-wal").Length);
                    }
                }
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        });
        flood.Start();
        flood.Join();

        failure?.Throw();
        Assert.True(largest < 40L * 1024 * 1024, $"the log reached {largest} bytes");
    }
}
