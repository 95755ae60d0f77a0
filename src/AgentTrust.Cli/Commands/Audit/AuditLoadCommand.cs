using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using AgentTrust.Audit;
using AgentTrust.Cryptography;
using AgentTrust.Receipts;

namespace AgentTrust.Cli.Commands;

/// <summary>
/// Hidden <c>agenttrust audit append-load</c>: signs and appends receipts with an ephemeral key from N concurrent
/// appenders, printing each acknowledged <c>record_hash</c> (durable) on stdout. Used by the crash and multi-process
/// tests, and as the measured mode of the append benchmark (the summary goes to stderr).
/// </summary>
internal static class AuditLoadCommand
{
    public static Command Create(CliContext context)
    {
        var dir = new Option<string>("--dir") { Description = "The log directory.", Required = true };
        var count = new Option<int>("--count") { Description = "Receipts to append.", DefaultValueFactory = _ => 1000 };
        var concurrency = new Option<int>("--concurrency") { Description = "Concurrent appenders.", DefaultValueFactory = _ => 16 };
        var quiet = new Option<bool>("--quiet") { Description = "Do not print record hashes." };
        var command = new Command("append-load", "Append signed receipts under load (test and benchmark tool).") { dir, count, concurrency, quiet };
        command.Hidden = true;
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var total = parseResult.GetValue(count);
            var workers = Math.Max(1, parseResult.GetValue(concurrency));
            var print = !parseResult.GetValue(quiet);
            using var key = SigningKey.Generate(SignatureAlgorithm.EdDSA);
            var signer = new ReceiptSigner(key, "load", "agenttrust", context.Time);
            await using var log = await AuditCommand.OpenLogAsync(context, parseResult.GetValue(dir)!, cancellationToken).ConfigureAwait(false);
            var output = TextWriter.Synchronized(context.Out);
            var next = -1;
            var stopwatch = Stopwatch.StartNew();
            var tasks = Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < total)
                {
                    var receipt = signer.Sign(new ReceiptAction("load_test", new JsonObject { ["i"] = i, ["pid"] = Environment.ProcessId }, "mcp://load"));
                    var result = await log.AppendAsync(receipt, cancellationToken).ConfigureAwait(false);
                    if (print)
                    {
                        output.WriteLine(result.RecordHash);
                        output.Flush();
                    }
                }
            }, cancellationToken)).ToArray();
            await Task.WhenAll(tasks).ConfigureAwait(false);
            stopwatch.Stop();
            var rate = total / Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-9);
            await context.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"appended {total} records with {workers} appenders in {stopwatch.Elapsed.TotalMilliseconds:F0} ms: {rate:F0} records/s (durable)")).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }
}
