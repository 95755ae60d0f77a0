if (args.Length > 0 && args[0] == "authority-load")
{
    return await AgentTrust.Bench.Authority.AuthorityLoad.RunAsync(args[1..]).ConfigureAwait(false);
}

if (args.Length > 0 && args[0] == "--interleaved-attestation")
{
    AgentTrust.Bench.AttestationInterleavedRatios.Run(args[1..]);
    return 0;
}

if (args.Length > 0 && args[0] == "--interleaved")
{
    AgentTrust.Bench.InterleavedRatios.Run(args[1..]);
    return 0;
}

if (args.Length > 0 && args[0] == "audit-profile")
{
    AgentTrust.Bench.AuditProfile.Run(20_000);
    return 0;
}

if (args.Length > 0 && args[0] == "audit-measure")
{
    await AgentTrust.Bench.AuditMeasure.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100_000).ConfigureAwait(false);
    return 0;
}

if (args.Length > 0 && args[0] == "gateway")
{
    // Console mode: whole-process round-trip latency through the gateway (see Gateway/GatewayLatencyBenchmark.cs).
    return await AgentTrust.Bench.Gateway.GatewayLatencyBenchmark.RunAsync(args[1..]).ConfigureAwait(false);
}

if (args.Length > 0 && args[0] == "gateway-cost")
{
    return await AgentTrust.Bench.Gateway.GatewayPipelineCostBenchmark.RunAsync(args[1..]).ConfigureAwait(false);
}

// typeof(Program) would be ambiguous: the agenttrust CLI (referenced for the gateway benchmark) has a Program too.
BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(AgentTrust.Bench.Gateway.GatewayLatencyBenchmark).Assembly).Run(args);
return 0;
