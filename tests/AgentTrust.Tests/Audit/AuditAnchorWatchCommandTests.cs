using System.Text;
using System.Text.Json.Nodes;
using AgentTrust.Audit;
using AgentTrust.Tests.Authority;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Audit;

/// <summary><c>agenttrust audit anchor --watch</c> against a real Trust Authority, while other writers append.</summary>
public sealed class AuditAnchorWatchCommandTests() : AuthorityCliTest("agenttrust-cli-watch-")
{
    private string AuditDirectory => Home.File("audit");

    private Task<(int Exit, string Out, string Error)> Run(string[] args, TextWriter? output = null, CancellationToken cancellationToken = default) =>
        RunCliAsync(args, null, output, cancellationToken);

    private async Task SignAsync(int i) =>
        Assert.Equal(0, (await Run(["receipt", "sign", "--key", "bot", "--tool", "read", "--params", $$"""{"i":{{i}}}""", "--target", "mcp://fs"])).Exit);

    [Fact]
    public async Task Watch_anchors_what_other_writers_append_and_the_last_head_when_stopped()
    {
        Assert.Equal(0, (await Run(["key", "new", "--alg", "ed25519", "--name", "audit", "--unencrypted"])).Exit);
        Assert.Equal(0, (await Run(["key", "new", "--alg", "ed25519", "--name", "bot", "--unencrypted"])).Exit);
        for (var i = 0; i < 3; i++)
        {
            await SignAsync(i);
        }

        using var stop = new CancellationTokenSource();
        var output = new LineWaiter();
        var watching = Run(["audit", "anchor", "--authority", Url, "--watch", "--every", "2"], output, stop.Token);
        await output.WaitForAsync("Anchored: 3 records");
        await SignAsync(3);
        await SignAsync(4);
        await output.WaitForAsync("Anchored: 5 records");
        await SignAsync(5);
        await stop.CancelAsync();
        var (exit, _, error) = await watching;
        Assert.True(exit == 0, error);

        // The automatic anchorer recorded the anchored log id, the default 'audit verify --authority' asks about.
        Assert.True(File.Exists(Home.File("anchored-logs.json")));
        var folder = Path.Combine(AuditDirectory, AuditAnchor.FolderName);
        Assert.Equal([AuditAnchor.FileName(3), AuditAnchor.FileName(5), AuditAnchor.FileName(6)], Directory.GetFiles(folder).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray());

        // The authority's key was pinned on first contact, so plain 'audit verify' (with an 'audit' key in the store)
        // accepts its anchors; the authority's record then catches a cut tail with no local anchor left.
        (exit, var json, error) = await Run(["audit", "verify", "--json"]);
        Assert.True(exit == 0, error + json);
        Assert.Equal(3, JsonNode.Parse(json)!["anchors_checked"]!.GetValue<long>());
        var file = Directory.GetFiles(AuditDirectory, "*.jsonl").Single();
        await File.WriteAllLinesAsync(file, File.ReadAllLines(file).Take(4));
        (exit, json, _) = await Run(["audit", "verify", "--json"]);
        Assert.Equal(1, exit);
        Assert.Equal("tail_truncated", JsonNode.Parse(json)!["first_break"]!["reason"]!.GetValue<string>());
        Directory.Delete(folder, recursive: true);
        (exit, json, _) = await Run(["audit", "verify", "--authority", Url, "--json"]);
        Assert.Equal(1, exit);
        Assert.Equal("tail_truncated", JsonNode.Parse(json)!["first_break"]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Watch_exits_with_MCPS_023_when_the_authority_refuses_a_cut_log()
    {
        Assert.Equal(0, (await Run(["key", "new", "--alg", "ed25519", "--name", "audit", "--unencrypted"])).Exit);
        Assert.Equal(0, (await Run(["key", "new", "--alg", "ed25519", "--name", "bot", "--unencrypted"])).Exit);
        for (var i = 0; i < 4; i++)
        {
            await SignAsync(i);
        }

        Assert.Equal(0, (await Run(["audit", "anchor", "--authority", Url])).Exit);
        var file = Directory.GetFiles(AuditDirectory, "*.jsonl").Single();
        await File.WriteAllLinesAsync(file, File.ReadAllLines(file).Take(2));

        using var stop = new CancellationTokenSource();
        var output = new LineWaiter();
        var watching = Run(["audit", "anchor", "--authority", Url, "--watch", "--every", "1"], output, stop.Token);
        await output.WaitForAsync("Refused by the authority");
        await stop.CancelAsync();
        var (exit, _, error) = await watching;
        Assert.Equal(1, exit);
        Assert.StartsWith("agenttrust: error MCPS-023:", error, StringComparison.Ordinal);
    }

    /// <summary>A thread-safe writer whose lines can be awaited.</summary>
    private sealed class LineWaiter : TextWriter
    {
        private readonly StringBuilder _text = new();
        private readonly List<(string Marker, TaskCompletionSource Seen)> _waiters = [];
        private readonly object _gate = new();

        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void Write(char value)
        {
            List<TaskCompletionSource> release = [];
            lock (_gate)
            {
                _text.Append(value);
                if (value == '\n')
                {
                    var text = _text.ToString();
                    foreach (var waiter in _waiters.Where(w => text.Contains(w.Marker, StringComparison.Ordinal)).ToList())
                    {
                        _waiters.Remove(waiter);
                        release.Add(waiter.Seen);
                    }
                }
            }

            release.ForEach(s => s.TrySetResult());
        }

        public Task WaitForAsync(string marker)
        {
            lock (_gate)
            {
                if (_text.ToString().Contains(marker, StringComparison.Ordinal))
                {
                    return Task.CompletedTask;
                }

                var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((marker, seen));
                return seen.Task.WaitAsync(TimeSpan.FromSeconds(60));
            }
        }

        public override string ToString()
        {
            lock (_gate)
            {
                return _text.ToString();
            }
        }
    }
}
