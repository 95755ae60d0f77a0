using System.Diagnostics;
using System.Globalization;

namespace AgentTrust.Bench;

/// <summary>
/// Measured console mode (<c>dotnet run -c Release -- audit-measure [records]</c>): durable append with group commit for
/// 1/16/64 appenders, chain verification and signature verification of a 100 000-record log, and raw Ed25519 verify of
/// the same signables in the same run for the ratio.
/// </summary>
internal static class AuditMeasure
{
    public static async Task RunAsync(int records)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"preparing {records} signed receipts..."));
        using var workload = new AuditWorkload(records);
        foreach (var appenders in (int[])[1, 16, 64, 256])
        {
            if (appenders == 1 && records > 5_000)
            {
                // One appender waits for every fsync: measure it on a slice.
                using var slice = new AuditWorkload(5_000);
                var single = await slice.AppendAsync(AuditWorkload.NewDirectory(), 1);
                Report($"append durable, 1 appender (5000 records)", single);
                continue;
            }

            var directory = AuditWorkload.NewDirectory();
            var rate = await workload.AppendAsync(directory, appenders);
            Directory.Delete(directory, recursive: true);
            Report($"append durable, group commit, {appenders} appenders", rate);
        }

        for (var round = 0; round < 3; round++)
        {
            var stopwatch = Stopwatch.StartNew();
            await workload.VerifyAsync(signatures: false);
            var chain = records / stopwatch.Elapsed.TotalSeconds;
            stopwatch.Restart();
            workload.RawVerifyAll();
            var raw = records / stopwatch.Elapsed.TotalSeconds;
            stopwatch.Restart();
            workload.RawVerifyAllParallel();
            var rawParallel = records / stopwatch.Elapsed.TotalSeconds;
            stopwatch.Restart();
            await workload.VerifyAsync(signatures: true);
            var full = records / stopwatch.Elapsed.TotalSeconds;
            Report("verify chain (hash only)", chain);
            Report("raw Ed25519 verify, 1 thread (same signables)", raw);
            Report(string.Create(CultureInfo.InvariantCulture, $"raw Ed25519 verify, {Environment.ProcessorCount} cores"), rawParallel);
            Report(string.Create(CultureInfo.InvariantCulture, $"verify chain + signatures ({full / rawParallel:P0} of raw, same cores)"), full);
        }
    }

    private static void Report(string what, double rate)
        => Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what,-60} {rate,12:N0} records/s"));
}
