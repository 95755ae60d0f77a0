using System.Diagnostics;
using System.Globalization;
using AgentTrust.Replay;
using AgentTrust.Storage.Sqlite;

namespace AgentTrust.Bench;

/// <summary>
/// Registrations per second of the SQLite replay store with a flush per commit (durable) and without (restart fence),
/// and of the mapped table (restart fence, the gateway's default), measured in alternating blocks on files of the same
/// directory, so that all see the same disk and machine load. Usage: <c>replay-fence [rounds] [registrations per block]</c>.
/// </summary>
internal static class ReplayFenceInterleaved
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 7;
        var block = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000;
        var directory = Directory.CreateTempSubdirectory("agenttrust-bench-fence-").FullName;
        try
        {
            var limits = new ReplayStoreOptions { MaxEntries = long.MaxValue, MaxEntriesPerPartition = long.MaxValue };
            await using var durable = await SqliteReplayStore.OpenAsync(new SqliteReplayStoreOptions { DatabasePath = Path.Combine(directory, "durable.db"), Limits = limits });
            await using var fenced = await SqliteReplayStore.OpenAsync(new SqliteReplayStoreOptions { DatabasePath = Path.Combine(directory, "fenced.db"), Limits = limits, DurableCommits = false });
            using var mapped = MappedReplayStore.Open(new MappedReplayStoreOptions
            {
                FilePath = Path.Combine(directory, "mapped.map"),
                Limits = new ReplayStoreOptions { MaxEntries = MappedReplayStoreOptions.MaxTableEntries, MaxEntriesPerPartition = MappedReplayStoreOptions.MaxTableEntries },
            });
            Console.WriteLine($"fenced store: commits durable = {fenced.CommitsAreDurable}, fence = {fenced.RestartFence?.ToString("O", CultureInfo.InvariantCulture) ?? "none"}");
            long next = 0;
            var durableTimes = new List<double>();
            var fencedTimes = new List<double>();
            var mappedTimes = new List<double>();
            for (var round = 0; round < rounds; round++)
            {
                foreach (var (store, times) in new (IReplayStore, List<double>)[] { (durable, durableTimes), (fenced, fencedTimes), (mapped, mappedTimes) })
                {
                    var watch = Stopwatch.StartNew();
                    for (var i = 0; i < block; i++)
                    {
                        var value = (++next).ToString("x32", CultureInfo.InvariantCulture);
                        if (await store.TryRegisterAsync("asp_bench", value, DateTimeOffset.UtcNow.AddMinutes(5)) != ReplayCheckResult.Accepted)
                        {
                            throw new InvalidOperationException("registration refused");
                        }
                    }

                    times.Add(watch.Elapsed.TotalMicroseconds / block);
                }
            }

            var d = Median(durableTimes);
            var f = Median(fencedTimes);
            var m = Median(mappedTimes);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"median µs/registration over {rounds} blocks of {block}: SQLite durable {d:F1} ({1e6 / d:F0}/s), SQLite fenced {f:F1} ({1e6 / f:F0}/s), mapped table {m:F1} ({1e6 / m:F0}/s); fenced/durable throughput ×{d / f:F1}, mapped/fenced ×{f / m:F1}"));
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
