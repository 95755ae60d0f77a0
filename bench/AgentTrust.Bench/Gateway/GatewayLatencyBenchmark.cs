using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace AgentTrust.Bench.Gateway;

/// <summary>
/// Console-mode benchmark (not BenchmarkDotNet: it measures whole processes): round-trip latency of <c>tools/call</c>
/// against a real MCP server (server-everything's <c>echo</c>, Node.js) directly and through <c>agent-proxy</c> +
/// <c>proxy</c>: p50/p99/mean and calls per second over N sequential calls, and the cost added per hop as the
/// difference from the direct run in the same session. Rows: the checks with the defaults (signing, verification,
/// mapped nonce table, countersigning, tool pins); the checks plus audit logs (a durable receipt before each message
/// leaves); the relay alone; the checks with nonces held in memory; the checks with nonces in fenced SQLite files. The warm-up (default 5,000 calls) lets the JIT
/// finish tiering up the gateways, which takes the first few thousand calls of a fresh process. The cost of one durable
/// write on the disk in use and the load average are printed with the figures, since both decide them.
/// Usage: <c>dotnet run -c Release --project bench/AgentTrust.Bench -- gateway [calls] [warmup] [checks,audit,relay,memory,sqlite]</c>.
/// </summary>
internal static class GatewayLatencyBenchmark
{
    private const string CallPrefix = "{\"jsonrpc\":\"2.0\",\"id\":";
    private const string CallSuffix = ",\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":\"bench\"}}}";

    public static async Task<int> RunAsync(string[] args)
    {
        var calls = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
        var warmup = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5_000;

        // Optional third argument: the rows to run besides "direct" (audit, relay, checks, memory, sqlite; default all).
        var only = args.Length > 2 ? args[2].Split(',') : null;
        bool Selected(string row) => only is null || only.Contains(row, StringComparer.Ordinal);
        var node = FindNodeDirectory();
        var server = Path.Combine(node, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
        var cli = Path.Combine(AppContext.BaseDirectory, "agenttrust.dll");
        var scratch = Path.Combine(Path.GetTempPath(), "agenttrust-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(scratch, "trust"));
        var environment = new Dictionary<string, string> { ["AGENTTRUST_HOME"] = Path.Combine(scratch, "home") };
        string[] serverCommand = ["node", server, "stdio"];
        try
        {
            Console.WriteLine($"tools/call echo round trips: {calls} measured after {warmup} warm-up calls, one call in flight at a time");
            Console.WriteLine($"load average at start: {LoadAverage()}");
            var flush = MeasureFlush(scratch, 500);
            Console.WriteLine($"one durable append (write + fsync) in the scratch directory: p50 {flush.P50:F3} ms, p99 {flush.P99:F3} ms");
            Console.WriteLine();
            Console.WriteLine($"{"configuration",-58} {"p50 ms",8} {"p99 ms",8} {"mean ms",8} {"calls/s",9} {"cpu ms/call",12}");
            var direct = await MeasureAsync("direct (node server-everything)", serverCommand, environment, calls, warmup);
            var rows = new List<(string Name, Result Result, int Hops)>();
            if (Selected("checks"))
            {
                rows.Add(("checks (defaults: mapped nonce tables)", await MeasureAsync("agent-proxy + proxy, checks (defaults)",
                    ["dotnet", cli, "agent-proxy", "--key", "agent", "--", "dotnet", cli, "proxy", "--trust-store", Path.Combine(scratch, "trust"), "--key", "gateway", "--",
                     .. serverCommand], environment, calls, warmup), 2));
            }

            if (Selected("audit"))
            {
                rows.Add(("checks + audit logs (--audit-dir)", await MeasureAsync("agent-proxy + proxy, checks + audit logs (--audit-dir)",
                    ["dotnet", cli, "agent-proxy", "--key", "agent", "--audit-dir", Path.Combine(scratch, "agent-audit"), "--",
                     "dotnet", cli, "proxy", "--trust-store", Path.Combine(scratch, "trust"), "--key", "gateway", "--audit-dir", Path.Combine(scratch, "gateway-audit"), "--",
                     .. serverCommand], environment, calls, warmup), 2));
            }

            Console.WriteLine("diagnostics:");
            if (Selected("relay"))
            {
                rows.Add(("relay only", await MeasureAsync("proxy, relay + pins (1 hop)", ["dotnet", cli, "proxy", "--", .. serverCommand], environment, calls, warmup), 1));
            }

            if (Selected("memory"))
            {
                rows.Add(("checks, nonces in memory", await MeasureAsync("agent-proxy + proxy, checks, nonces in memory",
                    ["dotnet", cli, "agent-proxy", "--key", "agent", "--replay-store", "memory", "--",
                     "dotnet", cli, "proxy", "--trust-store", Path.Combine(scratch, "trust"), "--key", "gateway", "--replay-store", "memory", "--",
                     .. serverCommand], environment, calls, warmup), 2));
            }

            if (Selected("sqlite"))
            {
                rows.Add(("checks, nonces in fenced SQLite", await MeasureAsync("agent-proxy + proxy, checks, nonces in fenced SQLite",
                    ["dotnet", cli, "agent-proxy", "--key", "agent", "--replay-store", "sqlite-fenced:" + Path.Combine(scratch, "agent-replay.db"), "--",
                     "dotnet", cli, "proxy", "--trust-store", Path.Combine(scratch, "trust"), "--key", "gateway", "--replay-store", "sqlite-fenced:" + Path.Combine(scratch, "replay.db"), "--",
                     .. serverCommand], environment, calls, warmup), 2));
            }

            Console.WriteLine($"load average at end: {LoadAverage()}");
            Console.WriteLine();
            Console.WriteLine("added per hop (difference from direct; the two-hop rows divided by 2):");
            foreach (var (rowName, result, hops) in rows)
            {
                PrintAdded(rowName, result, direct, hops);
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

    private static async Task<Result> MeasureAsync(string name, string[] command, Dictionary<string, string> environment, int calls, int warmup)
    {
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command[1..])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        // The client side blocks in read/write on its pipes (no async I/O): the benchmark's own process then costs one
        // wake-up per answer, instead of thread-pool workers spinning on the cores the measured processes need.
        using var process = Process.Start(start)!;
        _ = process.StandardError.ReadToEndAsync();
        var input = process.StandardInput;
        input.AutoFlush = true;
        input.NewLine = "\n";
        var output = process.StandardOutput;

        input.WriteLine("""{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}""");
        ReadResponse(output, 0);
        input.WriteLine("""{"jsonrpc":"2.0","method":"notifications/initialized"}""");
        input.WriteLine("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""");
        ReadResponse(output, 1);

        var samples = new double[calls];
        var total = Stopwatch.StartNew();
        var cpuBefore = ProcessTreeCpu(process.Id);
        for (var i = 0; i < warmup + calls; i++)
        {
            if (i == warmup)
            {
                total.Restart();
                cpuBefore = ProcessTreeCpu(process.Id);
            }

            var id = i + 2;
            var started = Stopwatch.GetTimestamp();
            input.WriteLine(CallPrefix + id.ToString(CultureInfo.InvariantCulture) + CallSuffix);
            ReadResponse(output, id);
            if (i >= warmup)
            {
                samples[i - warmup] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }

        var seconds = total.Elapsed.TotalSeconds;
        var cpu = (ProcessTreeCpu(process.Id) - cpuBefore).TotalMilliseconds / calls;
        input.Close();
        await process.WaitForExitAsync();
        Array.Sort(samples);
        var result = new Result(Percentile(samples, 0.50), Percentile(samples, 0.99), samples.Average(), calls / seconds, cpu);
        Console.WriteLine($"{name,-58} {result.P50,8:F3} {result.P99,8:F3} {result.Mean,8:F3} {result.CallsPerSecond,9:F0} {result.CpuPerCall,12:F3}");
        return result;
    }

    private static void ReadResponse(StreamReader output, int id)
    {
        while (output.ReadLine() is { } line)
        {
            if (JsonNode.Parse(line) is JsonObject message && message["id"] is JsonValue value && value.TryGetValue<int>(out var got) && got == id)
            {
                if (message.ContainsKey("error"))
                {
                    throw new InvalidOperationException($"call {id} failed: {message["error"]!.ToJsonString()}");
                }

                return;
            }
        }

        throw new EndOfStreamException("the server closed its output");
    }

    private static void PrintAdded(string name, Result measured, Result direct, int hops) =>
        Console.WriteLine($"  {name,-56} p50 +{(measured.P50 - direct.P50) / hops:F3} ms, p99 +{(measured.P99 - direct.P99) / hops:F3} ms, cpu +{(measured.CpuPerCall - direct.CpuPerCall) / hops:F3} ms");

    // What one durable write costs on this disk: every durable nonce registration and every audit record pays it.
    private static Result MeasureFlush(string directory, int count)
    {
        var samples = new double[count];
        var record = new byte[300];
        Array.Fill(record, (byte)'x');
        var path = Path.Combine(directory, "flush-probe");
        using (var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write))
        {
            for (var i = 0; i < count; i++)
            {
                var started = Stopwatch.GetTimestamp();
                RandomAccess.Write(handle, record, (long)i * record.Length);
                RandomAccess.FlushToDisk(handle);
                samples[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }

        File.Delete(path);
        Array.Sort(samples);
        return new Result(Percentile(samples, 0.50), Percentile(samples, 0.99), samples.Average(), 0, 0);
    }

    private static string LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static string FindNodeDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "AgentTrust.Tests", "Gateway", "node");
            if (Directory.Exists(Path.Combine(candidate, "node_modules")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("the MCP peers are not installed: run scripts/setup.sh");
    }

    // CPU time (user + system) of a process and all its descendants, from /proc (Linux; zero elsewhere). Unlike the
    // latencies it hardly depends on what else the machine runs, so it is the figure to compare on a busy machine.
    private static TimeSpan ProcessTreeCpu(int root)
    {
        if (!Directory.Exists("/proc"))
        {
            return TimeSpan.Zero;
        }

        var parents = new Dictionary<int, int>();
        var ticks = new Dictionary<int, long>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1], CultureInfo.InvariantCulture);
                ticks[pid] = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // The process exited meanwhile.
            }
        }

        long total = 0;
        foreach (var (pid, used) in ticks)
        {
            for (var p = pid; p > 1 && parents.TryGetValue(p, out var parent); p = parent)
            {
                if (p == root)
                {
                    total += used;
                    break;
                }
            }
        }

        return TimeSpan.FromSeconds(total / 100.0);
    }

    private readonly record struct Result(double P50, double P99, double Mean, double CallsPerSecond, double CpuPerCall);
}
