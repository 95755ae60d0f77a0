using System.Diagnostics;
using AgentTrust.Replay;
using AgentTrust.Storage.Sqlite;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Replay;

public sealed class SqliteReplayStoreCrossProcessTests : IDisposable
{
    private const int Values = 300;
    private readonly TemporaryDirectory _directory = new("agenttrust-replay-xproc-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Processes_sharing_one_file_accept_each_value_exactly_once()
    {
        var database = _directory.File("shared.db");
        var go = _directory.File("go");
        await using var local = await SqliteReplayStore.OpenAsync(new SqliteReplayStoreOptions { DatabasePath = database, DurableCommits = false });

        var workers = new[] { StartWorker(database, go), StartWorker(database, go) };
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
                mine.Add((value, await local.TryRegisterAsync("asp_shared", value, expiry)));
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

    private static Process StartWorker(string database, string go)
    {
        var worker = Path.Combine(AppContext.BaseDirectory, "AgentTrust.Tests.ReplayWorker.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "exec", worker, database, "asp_shared", "0", Values.ToString(System.Globalization.CultureInfo.InvariantCulture), go })
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start the replay worker");
    }
}
