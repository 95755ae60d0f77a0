using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AgentTrust.Tests.Gateway.Support;

/// <summary>
/// Real HTTP peers for the Streamable HTTP gateway tests: server-everything in <c>streamableHttp</c> mode and the
/// <c>agenttrust proxy|agent-proxy --upstream … --listen …</c> CLI, each a child process on a loopback port.
/// </summary>
internal sealed class HttpPeers : IAsyncDisposable
{
    private readonly List<Process> _processes = [];
    private readonly StringBuilder _stderr = new();

    /// <summary>What the child processes wrote on stderr (for failure messages).</summary>
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

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts server-everything's Streamable HTTP endpoint and returns its URL once it listens.</summary>
    public async Task<Uri> StartServerEverythingAsync()
    {
        var port = FreePort();
        var server = GatewayPeers.Start("node", [GatewayPeers.ServerEverything, "streamableHttp"], new Dictionary<string, string> { ["PORT"] = port.ToString(CultureInfo.InvariantCulture) });
        _processes.Add(server);
        _ = Task.Run(() => server.StandardOutput.ReadToEndAsync());
        _ = Task.Run(() => Collect(server.StandardError));
        await WaitForPortAsync(port, server);
        return new Uri($"http://127.0.0.1:{port}/mcp");
    }

    /// <summary>Starts <c>agenttrust COMMAND --upstream UPSTREAM --listen 127.0.0.1:PORT ARGS</c> and returns its URL once it listens.</summary>
    public async Task<Uri> StartGatewayAsync(string command, Uri upstream, IEnumerable<string> arguments, IDictionary<string, string> environment)
    {
        var port = FreePort();
        var gateway = GatewayPeers.Start("dotnet", [GatewayPeers.AgentTrustDll, command, "--upstream", upstream.AbsoluteUri, "--listen", $"127.0.0.1:{port}", .. arguments], environment);
        _processes.Add(gateway);
        _ = Task.Run(() => gateway.StandardOutput.ReadToEndAsync());
        _ = Task.Run(() => Collect(gateway.StandardError));
        await WaitForPortAsync(port, gateway);
        return new Uri($"http://127.0.0.1:{port}/mcp");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(_processes))
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }

        _processes.Clear();
    }

    // Polls until the port accepts a connection; the deadline only guards against a peer that never starts.
    private async Task WaitForPortAsync(int port, Process process)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"peer exited with {process.ExitCode}: {StandardError}");
            }

            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port, deadline.Token);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100, deadline.Token);
            }
        }
    }

    private async Task Collect(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_stderr)
            {
                _stderr.AppendLine(line);
            }
        }
    }
}
