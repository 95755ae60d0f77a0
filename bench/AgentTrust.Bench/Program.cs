if (args.Length > 0 && args[0] == "authority-load")
{
    return await AgentTrust.Bench.Authority.AuthorityLoad.RunAsync(args[1..]).ConfigureAwait(false);
}

BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
