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

            InterleavedRatios.Measure(pairs, rounds, ops);
        }
        finally
        {
            b.Cleanup();
        }
    }
}
