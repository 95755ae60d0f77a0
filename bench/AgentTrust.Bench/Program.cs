if (args.Length > 0 && args[0] == "audit-profile")
{
    AgentTrust.Bench.AuditProfile.Run(20_000);
    return;
}

if (args.Length > 0 && args[0] == "audit-measure")
{
    await AgentTrust.Bench.AuditMeasure.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100_000).ConfigureAwait(false);
    return;
}

BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
