using System.Diagnostics;
using AgentTrust.Replay;
using AgentTrust.Storage.Sqlite;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Replay;

/// <summary>Processes sharing one store file: the SQLite store and the mapped table.</summary>
public sealed class ReplayStoreCrossProcessTests : IDisposable
{
    private const int Values = 300;
    private readonly TemporaryDirectory _directory = new("agenttrust-replay-xproc-");

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData("shared.db")]
    [InlineData("shared.map")]
    public async Task Processes_sharing_one_file_accept_each_value_exactly_once(string file)
    {
        var database = _directory.File(file);
        var go = _directory.File("go");
        await using var local = await OpenAsync(database);

        var workers = new[] { StartWorker(database, go, Values), StartWorker(database, go, Values) };
        try
        {
            foreach (var worker in workers)
            {
                Assert.Equal("ready", await worker.StandardOutput.ReadLineAsync());
            }

            var outputs = workers.Select(w => w.StandardOutput.ReadToEndAsync()).ToArray();
            var errors = workers.Select(w => w.StandardError.ReadToEndAsync()).ToArray();
            await File.WriteAllTextAsync(go, "");

            // This process competes too, from the other end of the range, so that every value is raced.
            var expiry = DateTimeOffset.UtcNow.AddMinutes(10);
            var mine = new List<(string Value, ReplayCheckResult Result)>();
            for (var i = Values - 1; i >= 0; i--)
            {
                var value = $"v{i}";
                mine.Add((value, await local.Store.TryRegisterAsync("asp_shared", value, expiry)));
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            foreach (var worker in workers)
            {
                await worker.WaitForExitAsync(timeout.Token);
            }

            for (var w = 0; w < workers.Length; w++)
            {
                Assert.True(workers[w].ExitCode == 0, $"worker {w} exited with {workers[w].ExitCode}: {await errors[w]}");
            }

            var all = mine.Select(r => (r.Value, Result: r.Result.ToString())).ToList();
            foreach (var output in outputs)
            {
                all.AddRange((await output).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                    .Select(line => line.Split(' '))
                    .Select(parts => (parts[0], parts[1])));
            }

            Assert.Equal(3 * Values, all.Count);
            Assert.All(all, r => Assert.True(r.Result is "Accepted" or "Replayed", r.Result));
            var acceptedPerValue = all.Where(r => r.Result == "Accepted").GroupBy(r => r.Value).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal(Values, acceptedPerValue.Count);
            Assert.All(acceptedPerValue, pair => Assert.Equal(1, pair.Value));
        }
        finally
        {
            foreach (var worker in workers)
            {
                if (!worker.HasExited)
                {
                    worker.Kill(entireProcessTree: true);
                }

                worker.Dispose();
            }
        }
    }

    [Theory]
    [InlineData("killed.db")]
    [InlineData("killed.map")]
    public async Task Registrations_acknowledged_by_a_process_that_is_killed_are_kept(string file)
    {
        var path = _directory.File(file);
        var go = _directory.File("go-kill");
        await File.WriteAllTextAsync(go, "");
        var worker = StartWorker(path, go, 1_000_000);
        var acknowledged = new List<string>();
        try
        {
            Assert.Equal("ready", await worker.StandardOutput.ReadLineAsync());
            while (acknowledged.Count < 2000 && await worker.StandardOutput.ReadLineAsync() is { } line)
            {
                var parts = line.Split(' ');
                Assert.Equal("Accepted", parts[1]);
                acknowledged.Add(parts[0]);
            }

            // SIGKILL while it is registering: no clean close, possibly inside an update.
            worker.Kill(entireProcessTree: true);
            await worker.WaitForExitAsync();
        }
        finally
        {
            worker.Dispose();
        }

        Assert.Equal(2000, acknowledged.Count);
        await using var after = await OpenAsync(path);
        var expiry = DateTimeOffset.UtcNow.AddMinutes(10);
        foreach (var value in acknowledged)
        {
            Assert.Equal(ReplayCheckResult.Replayed, await after.Store.TryRegisterAsync("asp_shared", value, expiry));
        }

        // It went on registering (in order) while its lines were read: the first value it did not register tells how
        // many it did, and the count must say exactly that, whatever update the kill interrupted.
        var held = await after.Store.CountAsync();
        var registered = acknowledged.Count;
        while (await after.Store.TryRegisterAsync("asp_shared", $"v{registered}", expiry) == ReplayCheckResult.Replayed)
        {
            registered++;
        }

        Assert.Equal(registered, held);
        Assert.Equal(held + 1, await after.Store.CountAsync());
    }

    private static async Task<OpenStore> OpenAsync(string path) =>
        new(path.EndsWith(".map", StringComparison.Ordinal)
            ? MappedReplayStore.Open(new MappedReplayStoreOptions { FilePath = path })
            : await SqliteReplayStore.OpenAsync(new SqliteReplayStoreOptions { DatabasePath = path, DurableCommits = false }));

    private static Process StartWorker(string database, string go, int count)
    {
        var worker = Path.Combine(AppContext.BaseDirectory, "AgentTrust.Tests.ReplayWorker.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "exec", worker, database, "asp_shared", "0", count.ToString(System.Globalization.CultureInfo.InvariantCulture), go })
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start the replay worker");
    }

    private sealed class OpenStore(IReplayStore store) : IAsyncDisposable
    {
        public IReplayStore Store { get; } = store;

        public ValueTask DisposeAsync() => Store.CloseAsync();
    }
}
