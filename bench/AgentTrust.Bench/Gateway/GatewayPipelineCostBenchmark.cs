using System.Diagnostics;
using System.Globalization;
using AgentTrust.Audit;
using AgentTrust.Gateway;
using AgentTrust.Gateway.Configuration;
using AgentTrust.Gateway.Identity;
using AgentTrust.Gateway.Pipeline;
using AgentTrust.KeyStore;

namespace AgentTrust.Bench.Gateway;

/// <summary>
/// Console-mode benchmark of the gateway's own work per <c>tools/call</c> round trip, in process (no pipes, no child
/// processes, so scheduling noise of the machine is left out): the agent hop (receipt, sign, verify the countersigned
/// answer) and the server hop (verify, receipts, countersign), each with and without the audit log, against the relay
/// with no stages. Usage: <c>dotnet run -c Release --project bench/AgentTrust.Bench -- gateway-cost [calls] [no-audit]</c>
/// (<c>no-audit</c> leaves out the audit-log rows, whose fsyncs dominate a CPU profile's wall time).
/// </summary>
internal static class GatewayPipelineCostBenchmark
{
    private const string Server = "bench-server";

    public static async Task<int> RunAsync(string[] args)
    {
        var calls = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
        var withAudit = !(args.Length > 1 && args[1] == "no-audit");
        var scratch = Path.Combine(Path.GetTempPath(), "agenttrust-cost-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(scratch, "trust"));
        try
        {
            var keys = new FileKeyStore(Path.Combine(scratch, "keys"));
            using var agent = await GatewayIdentity.LoadOrCreateAsync(keys, "agent", Path.Combine(scratch, "agent.json"), () => null, TimeProvider.System);
            using var gateway = await GatewayIdentity.LoadOrCreateAsync(keys, "gateway", Path.Combine(scratch, "gateway.json"), () => null, TimeProvider.System);
            var trust = TrustSources.From(LocalTrustStore.Open(Path.Combine(scratch, "trust")));
            var serverOptions = new GatewayOptions { TrustStore = Path.Combine(scratch, "trust") };

            Console.WriteLine($"in-process cost per tools/call round trip (request + answer through the hop), {calls} calls");
            Console.WriteLine($"{"hop",-44} {"p50 ms",8} {"p99 ms",8} {"mean ms",8} {"KB/call",8} {"gen0/1k",8}");
            await MeasureAsync("relay, no stages", new RelayPipeline([]), new RelayPipeline([]), calls, hop: 1);
            await MeasureAsync("agent hop: receipt, sign, verify answer",
                new RelayPipeline(GatewayPipelineFactory.CreateAgentSide(new GatewayOptions(), Server, agent, null, null)),
                new RelayPipeline(GatewayPipelineFactory.CreateServerSide(serverOptions, Server, gateway, trust, null)), calls, hop: 0);
            await MeasureAsync("server hop: verify, pins, countersign",
                new RelayPipeline(GatewayPipelineFactory.CreateAgentSide(new GatewayOptions(), Server, agent, null, null)),
                new RelayPipeline(GatewayPipelineFactory.CreateServerSide(serverOptions, Server, gateway, trust, null)), calls, hop: 1);
            if (!withAudit)
            {
                return 0;
            }

            await using (var agentAudit = await AuditLog.OpenAsync(new AuditLogOptions { Directory = Path.Combine(scratch, "agent-audit") }))
            await using (var gatewayAudit = await AuditLog.OpenAsync(new AuditLogOptions { Directory = Path.Combine(scratch, "gateway-audit") }))
            {
                await MeasureAsync("agent hop + audit log (fsync)",
                    new RelayPipeline(GatewayPipelineFactory.CreateAgentSide(new GatewayOptions(), Server, agent, null, agentAudit)),
                    new RelayPipeline(GatewayPipelineFactory.CreateServerSide(serverOptions, Server, gateway, trust, gatewayAudit)), calls, hop: 0);
            }

            await using (var agentAudit = await AuditLog.OpenAsync(new AuditLogOptions { Directory = Path.Combine(scratch, "agent-audit2") }))
            await using (var gatewayAudit = await AuditLog.OpenAsync(new AuditLogOptions { Directory = Path.Combine(scratch, "gateway-audit2") }))
            {
                await MeasureAsync("server hop + receipts + audit log (fsync)",
                    new RelayPipeline(GatewayPipelineFactory.CreateAgentSide(new GatewayOptions(), Server, agent, null, agentAudit)),
                    new RelayPipeline(GatewayPipelineFactory.CreateServerSide(serverOptions, Server, gateway, trust, gatewayAudit)), calls, hop: 1);
            }

            return 0;
        }
        finally
        {
            try
            {
                Directory.Delete(scratch, recursive: true);
            }
            catch (IOException)
            {
                // Left for the OS to clean.
            }
        }
    }

    // Runs calls through agent → gateway → (synthesised echo answer) → gateway → agent and times one hop's two passes.
    private static async Task MeasureAsync(string name, RelayPipeline agentSide, RelayPipeline serverSide, int calls, int hop)
    {
        await RoundTripAsync(agentSide, serverSide, """{"jsonrpc":"2.0","id":"list","method":"tools/list"}""",
            """{"jsonrpc":"2.0","id":"list","result":{"tools":[{"name":"echo","description":"Echoes","inputSchema":{"type":"object","properties":{"message":{"type":"string"}}}}]}}""", new double[2]);
        var samples = new double[calls];
        var times = new double[2];
        long allocated = 0;
        var collections = 0;
        for (var i = 0; i < calls + 500; i++)
        {
            if (i == 500)
            {
                allocated = GC.GetTotalAllocatedBytes(precise: true);
                collections = GC.CollectionCount(0);
            }

            var id = i.ToString(CultureInfo.InvariantCulture);
            await RoundTripAsync(agentSide, serverSide,
                "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":\"bench\"}}}",
                "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"Echo: bench\"}]}}", times);
            if (i >= 500)
            {
                samples[i - 500] = times[hop];
            }
        }

        // Both sides run in this process, so allocations and collections are those of the whole round trip.
        var kilobytes = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1024.0 / calls;
        var gen0 = (GC.CollectionCount(0) - collections) * 1000.0 / calls;
        Array.Sort(samples);
        Console.WriteLine($"{name,-44} {Percentile(samples, 0.5),8:F3} {Percentile(samples, 0.99),8:F3} {samples.Average(),8:F3} {kilobytes,8:F1} {gen0,8:F1}");
    }

    private static async Task RoundTripAsync(RelayPipeline agentSide, RelayPipeline serverSide, string request, string answer, double[] times)
    {
        var t0 = Stopwatch.GetTimestamp();
        var a = await agentSide.ProcessAsync(System.Text.Encoding.UTF8.GetBytes(request), RelayDirection.ClientToServer);
        var t1 = Stopwatch.GetTimestamp();
        var b = await serverSide.ProcessAsync(Forwarded(a), RelayDirection.ClientToServer);
        var t2 = Stopwatch.GetTimestamp();
        _ = Forwarded(b);
        var t3 = Stopwatch.GetTimestamp();
        var c = await serverSide.ProcessAsync(System.Text.Encoding.UTF8.GetBytes(answer), RelayDirection.ServerToClient);
        var t4 = Stopwatch.GetTimestamp();
        var d = await agentSide.ProcessAsync(Forwarded(c), RelayDirection.ServerToClient);
        var t5 = Stopwatch.GetTimestamp();
        _ = Forwarded(d);
        times[0] = Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds + Stopwatch.GetElapsedTime(t4, t5).TotalMilliseconds;
        times[1] = Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds + Stopwatch.GetElapsedTime(t3, t4).TotalMilliseconds;
    }

    private static byte[] Forwarded(RelayOutcome outcome) =>
        outcome.ToRecipient?.ToArray() ?? throw new InvalidOperationException("refused: " + (outcome.ToSender is { } s ? System.Text.Encoding.UTF8.GetString(s.Span) : outcome.Rejection?.Reason));

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
