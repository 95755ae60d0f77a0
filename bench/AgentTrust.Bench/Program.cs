if (args.Length > 0 && args[0] == "authority-load")
{
    return await AgentTrust.Bench.Authority.AuthorityLoad.RunAsync(args[1..]).ConfigureAwait(false);
}

if (args.Length > 0 && args[0] == "--interleaved")
{
    AgentTrust.Bench.InterleavedRatios.Run(args[1..]);
    return 0;
}

BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
