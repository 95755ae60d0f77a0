using System.Globalization;
using AgentTrust.Bench;

// Measured console modes (ratios against the raw primitive in the same process, robust to a loaded machine);
// anything else goes to BenchmarkDotNet (e.g. --filter *Jcs* --job short).
switch (args.Length > 0 ? args[0] : string.Empty)
{
    case "--interleaved":
        InterleavedRatios.Run(args[1..]);
        return 0;
    case "--interleaved-attestation":
        AttestationInterleavedRatios.Run(args[1..]);
        return 0;
    case "audit-profile":
        AuditProfile.Run(20_000);
        return 0;
    case "audit-measure":
        await AuditMeasure.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000).ConfigureAwait(false);
        return 0;
    case "authority-load":
        return await AgentTrust.Bench.Authority.AuthorityLoad.RunAsync(args[1..]).ConfigureAwait(false);
    case "gateway":
        // Whole-process round-trip latency through the gateway (see Gateway/GatewayLatencyBenchmark.cs).
        return await AgentTrust.Bench.Gateway.GatewayLatencyBenchmark.RunAsync(args[1..]).ConfigureAwait(false);
    case "replay-fence":
        // SQLite replay store, flush per commit against restart fence, interleaved (see ReplayFenceInterleaved.cs).
        return await AgentTrust.Bench.ReplayFenceInterleaved.RunAsync(args[1..]).ConfigureAwait(false);
    case "gateway-cost":
        return await AgentTrust.Bench.Gateway.GatewayPipelineCostBenchmark.RunAsync(args[1..]).ConfigureAwait(false);
    default:
        // typeof(Program) would be ambiguous: the agenttrust CLI (referenced for the gateway benchmark) has a Program too.
        BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(InterleavedRatios).Assembly).Run(args);
        return 0;
}
