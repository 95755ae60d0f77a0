using System.Diagnostics;
using System.Globalization;

namespace AgentTrust.Bench;

/// <summary>
/// A companion to BenchmarkDotNet for shared, loaded machines: runs the raw and API variant of each
/// <see cref="SignatureBenchmarks"/> pair in alternating short blocks inside one process, so load swings hit both
/// sides equally, and reports the median of the per-round ratios (API / raw) with its interquartile range.
/// Usage: <c>dotnet run -c Release --project bench/AgentTrust.Bench -- --interleaved [rounds] [opsPerBlock]</c>.
/// </summary>
internal static class InterleavedRatios
{
    public static void Run(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
        var ops = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
        using var b = new SignatureBenchmarks();
        b.Setup();
        var pairs = new (string Name, Action Raw, Action Api)[]
        {
            ("ES256 sign", () => b.Es256SignRaw(), () => b.Es256SignApi()),
            ("ES256 verify", () => b.Es256VerifyRaw(), () => b.Es256VerifyApi()),
            ("EdDSA sign", () => b.EdDsaSignRaw(), () => b.EdDsaSignApi()),
            ("EdDSA verify", () => b.EdDsaVerifyRaw(), () => b.EdDsaVerifyApi()),
        };

        Measure(pairs, rounds, ops);
    }

    /// <summary>
    /// Measures each (raw, operation) pair in alternating blocks and prints per pair the median times, the median
    /// ratio operation/raw with its IQR, and the throughput share of raw (1 / ratio). Shared by every interleaved mode.
    /// </summary>
    internal static void Measure(IReadOnlyList<(string Name, Action Raw, Action Api)> pairs, int rounds, int ops)
    {
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
