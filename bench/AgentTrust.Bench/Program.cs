if (args.Length > 0 && args[0] == "--interleaved-attestation")
{
    AgentTrust.Bench.AttestationInterleavedRatios.Run(args[1..]);
    return;
}

if (args.Length > 0 && args[0] == "--interleaved")
{
    AgentTrust.Bench.InterleavedRatios.Run(args[1..]);
    return;
}

BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
