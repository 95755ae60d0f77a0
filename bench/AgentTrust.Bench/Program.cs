if (args.Length > 0 && args[0] == "--interleaved")
{
    AgentTrust.Bench.InterleavedRatios.Run(args[1..]);
    return;
}

BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
