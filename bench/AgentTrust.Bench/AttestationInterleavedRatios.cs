using System.Diagnostics;
using System.Globalization;

namespace AgentTrust.Bench;

/// <summary>
/// <see cref="AttestationBenchmarks"/> measured like <see cref="InterleavedRatios"/>: raw primitive and attestation
/// operation in alternating short blocks in one process, median of per-round ratios with IQR. Throughput share of
/// raw = 1 / ratio; the <c>cached/full</c> row compares a verification-cache hit with a full verification of the same
/// token. Usage: <c>dotnet run -c Release --project bench/AgentTrust.Bench -- --interleaved-attestation [rounds] [opsPerBlock]</c>.
/// </summary>
internal static class AttestationInterleavedRatios
{
    public static void Run(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
        var ops = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
        var b = new AttestationBenchmarks();
        b.Setup();
        try
        {
            var pairs = new (string Name, Action Raw, Action Api)[]
            {
                ("verify", () => b.RawVerify(), () => b.Verify().AsTask().GetAwaiter().GetResult()),
                ("verify+store", () => b.RawVerify(), () => b.VerifyWithInMemoryStore().AsTask().GetAwaiter().GetResult()),
                ("cached", () => b.RawVerify(), () => b.VerifyCached().AsTask().GetAwaiter().GetResult()),
                ("cached/full", () => b.Verify().AsTask().GetAwaiter().GetResult(), () => b.VerifyCached().AsTask().GetAwaiter().GetResult()),
                ("issue", () => b.RawSign(), () => b.Issue()),
            };

            // Warm every path past tiered JIT promotion before any pair is measured (without this the first pair
            // measured reads ~10% worse whichever it is), then one discarded interleaved pass.
            for (var w = 0; w < 5; w++)
            {
                foreach (var (_, raw, api) in pairs)
                {
                    Block(raw, 200);
                    Block(api, 200);
                }

                Thread.Sleep(150);
            }

            foreach (var (_, raw, api) in pairs)
            {
                for (var r = 0; r < rounds / 2; r++)
                {
                    Block(raw, ops);
                    Block(api, ops);
                }
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"pair",-14} {"raw µs",9} {"op µs",9} {"ratio (median)",15} {"IQR",16} {"share of raw",13}  rounds={rounds} ops/block={ops}"));
            foreach (var (name, raw, api) in pairs)
            {
                Block(raw, ops * 5);
                Block(api, ops * 5);
                var ratios = new double[rounds];
                var rawTimes = new double[rounds];
                var apiTimes = new double[rounds];
                for (var r = 0; r < rounds; r++)
                {
                    double rawTime, apiTime;
                    if (r % 2 == 0)
                    {
                        rawTime = Block(raw, ops);
                        apiTime = Block(api, ops);
                    }
                    else
                    {
                        apiTime = Block(api, ops);
                        rawTime = Block(raw, ops);
                    }

                    rawTimes[r] = rawTime / ops;
                    apiTimes[r] = apiTime / ops;
                    ratios[r] = apiTime / rawTime;
                }

                Array.Sort(ratios);
                Array.Sort(rawTimes);
                Array.Sort(apiTimes);
                var median = ratios[rounds / 2];
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-14} {rawTimes[rounds / 2],9:F1} {apiTimes[rounds / 2],9:F1} {median,15:F3} {ratios[rounds / 4],7:F3}..{ratios[rounds * 3 / 4],7:F3} {1 / median,12:P0}"));
            }
        }
        finally
        {
            b.Cleanup();
        }
    }

    private static double Block(Action action, int count)
    {
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            action();
        }

        return Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    }
}
