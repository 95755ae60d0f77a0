using System.Globalization;
using AgentTrust.Bench;

// Measured console modes (ratios against the raw primitive in the same process, robust to a loaded machine);
// anything else goes to BenchmarkDotNet (e.g. --filter *Jcs* --job short).
switch (args.Length > 0 ? args[0] : string.Empty)
{
    case "--interleaved":
        InterleavedRatios.Run(args[1..]);
        return;
    case "--interleaved-attestation":
        AttestationInterleavedRatios.Run(args[1..]);
        return;
    case "audit-profile":
        AuditProfile.Run(20_000);
        return;
    case "audit-measure":
        await AuditMeasure.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000).ConfigureAwait(false);
        return;
    default:
        BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return;
}
