using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace AgentTrust.Tests.Gateway.Support;

/// <summary>
/// The gateway as a real process driven line by line over its stdin/stdout, for framing and shutdown tests that no
/// SDK client can express (garbage, batches, oversized lines, closing stdin).
/// </summary>
internal sealed class RawGatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly Task _stderrPump;

    public RawGatewayProcess(IEnumerable<string> gatewayArgs, string[] serverCommand, IDictionary<string, string>? environment = null)
    {
        var (command, arguments) = GatewayPeers.Proxy(gatewayArgs, serverCommand);
        _process = GatewayPeers.Start(command, arguments, environment);
        _process.StandardInput.AutoFlush = true;
        _process.StandardInput.NewLine = "\n";
        _stderrPump = Task.Run(async () =>
        {
            while (await _process.StandardError.ReadLineAsync() is { } line)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(line);
                }
            }
        });
    }

    public Process Process => _process;

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public Task SendAsync(string line) => _process.StandardInput.WriteLineAsync(line);

    public async Task<JsonObject> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        var line = await _process.StandardOutput.ReadLineAsync(cts.Token) ?? throw new EndOfStreamException("gateway closed stdout; its stderr:\n" + StandardError);
        return (JsonObject)JsonNode.Parse(line)!;
    }

    /// <summary>Reads until a message with the given id arrives (skipping notifications such as list_changed).</summary>
    public async Task<JsonObject> ReceiveResponseAsync(JsonNode? id)
    {
        while (true)
        {
            var message = await ReceiveAsync();
            if (message.ContainsKey("id") && JsonNode.DeepEquals(message["id"], id))
            {
                return message;
            }
        }
    }

    public async Task InitializeAsync()
    {
        await SendAsync("""{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}""");
        await ReceiveResponseAsync("init");
        await SendAsync("""{"jsonrpc":"2.0","method":"notifications/initialized"}""");
    }

    public void CloseInput() => _process.StandardInput.Close();

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        await _stderrPump.WaitAsync(TimeSpan.FromSeconds(5));
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
