using System.Diagnostics;
using System.Text.Json.Nodes;
using AgentTrust.Audit;

namespace AgentTrust.Tests.Audit;

/// <summary>
/// Real processes: the CLI's hidden <c>audit append-load</c> appends signed receipts and prints each acknowledged
/// (fsynced) record hash. Children are killed at random points, and several run at once on one directory.
/// </summary>
public sealed class AuditProcessTests
{
    [Fact]
    public async Task Killing_appenders_at_random_points_never_loses_an_acknowledged_record()
    {
        using var fx = new AuditFixture();
        var acknowledged = new List<string>();
        var random = new Random(20260401);
        var kills = 0;
        var stopwatch = Stopwatch.StartNew();
        for (var round = 0; round < 24 && stopwatch.Elapsed < TimeSpan.FromSeconds(40); round++)
        {
            using var child = StartAppender(fx.Directory, count: 1_000_000, concurrency: 1 + (round % 4));
            var stdout = child.StandardOutput.ReadToEndAsync();
            var stderr = child.StandardError.ReadToEndAsync();
            await Task.Delay(random.Next(250, 900));
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
                kills++;
            }

            await child.WaitForExitAsync();
            var lines = (await stdout).Split('\n');
            _ = await stderr;

            // The last line may have been cut by the kill; every complete hash line was acknowledged after fsync.
            acknowledged.AddRange(lines.Where(l => l.Length == AuditRecordFormat.HashTagLength && l.StartsWith("sha256:", StringComparison.Ordinal)));
        }

        Assert.True(kills >= 10, $"only {kills} kills");
        Assert.NotEmpty(acknowledged);

        // Opening repairs a torn tail; then the whole chain must verify and hold every acknowledged record.
        await using (var log = await fx.OpenAsync())
        {
            Assert.True(log.Head.RecordCount >= acknowledged.Count);
        }

        var report = await fx.VerifyAsync(signatures: false);
        Assert.True(report.Valid, report.FirstBreak?.ToString());
        Assert.Empty(report.Warnings);
        var stored = StoredHashes(fx.Directory);
        Assert.Equal(report.RecordCount, stored.Count);
        var missing = acknowledged.Where(h => !stored.Contains(h)).ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public async Task Appenders_in_several_processes_produce_one_unforked_chain()
    {
        using var fx = new AuditFixture();
        var children = Enumerable.Range(0, 3).Select(_ => StartAppender(fx.Directory, count: 400, concurrency: 4)).ToList();
        var outputs = await Task.WhenAll(children.Select(async c =>
        {
            var stdout = c.StandardOutput.ReadToEndAsync();
            var stderr = c.StandardError.ReadToEndAsync();
            await c.WaitForExitAsync();
            Assert.True(c.ExitCode == 0, await stderr);
            return (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }));
        foreach (var child in children)
        {
            child.Dispose();
        }

        var acknowledged = outputs.SelectMany(o => o).ToList();
        Assert.Equal(1200, acknowledged.Count);
        Assert.Equal(1200, acknowledged.Distinct().Count());
        var report = await fx.VerifyAsync(signatures: true);
        Assert.True(report.Valid, report.FirstBreak?.ToString());
        Assert.Equal(1200, report.RecordCount);
        Assert.Equal(1200, report.SignaturesVerified);
        Assert.True(StoredHashes(fx.Directory).SetEquals(acknowledged));
    }

    private static HashSet<string> StoredHashes(string directory)
        => AuditFiles.List(directory)
            .SelectMany(File.ReadAllLines)
            .Where(l => l.Length > 0)
            .Select(l => JsonNode.Parse(l)!["record_hash"]!.GetValue<string>())
            .ToHashSet(StringComparer.Ordinal);

    private static Process StartAppender(string directory, int count, int concurrency)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "agenttrust.dll");
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])[cli, "audit", "append-load", "--dir", directory, "--count", count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--concurrency", concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["AGENTTRUST_HOME"] = directory;
        return Process.Start(info)!;
    }
}
