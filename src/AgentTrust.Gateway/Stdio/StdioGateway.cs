using System.ComponentModel;
using System.Diagnostics;
using AgentTrust.Gateway.Diagnostics;
using AgentTrust.Gateway.Framing;
using AgentTrust.Gateway.Pipeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentTrust.Gateway.Stdio;

/// <summary>
/// The stdio gateway: starts the MCP server as a child process and relays newline-delimited JSON-RPC between the
/// client (the gateway's own stdin/stdout) and the child through a <see cref="RelayPipeline"/>. The child's stderr
/// is passed through. When the child exits the gateway returns its exit code; when the client closes its side the
/// child's stdin is closed, the child gets <see cref="ShutdownTimeout"/> to exit, and is then killed.
/// </summary>
public sealed class StdioGateway
{
    private readonly RelayPipeline _pipeline;
    private readonly ServerCommand _server;
    private readonly ILogger _logger;

    /// <summary>Creates a gateway for <paramref name="server"/>.</summary>
    public StdioGateway(RelayPipeline pipeline, ServerCommand server, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(server);
        _pipeline = pipeline;
        _server = server;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>How long the child may take to exit after its stdin closed (default 5 s, as the MCP SDKs).</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The clock for the shutdown timeout.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Runs until the child exits or the client closes its input (or <paramref name="cancellationToken"/> fires, which
    /// counts as the client closing). Returns the child's exit code.
    /// </summary>
    /// <exception cref="Win32Exception">The server command could not be started.</exception>
    public async Task<int> RunAsync(Stream clientInput, Stream clientOutput, TextWriter errorOutput, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clientInput);
        ArgumentNullException.ThrowIfNull(clientOutput);
        ArgumentNullException.ThrowIfNull(errorOutput);

        using var process = StartProcess();
        var clientWriter = new JsonLineWriter(clientOutput);
        var serverWriter = new JsonLineWriter(process.StandardInput.BaseStream);
        using var pumps = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        var stderr = PassThroughAsync(process.StandardError, errorOutput);
        var fromClient = LinePump.Start(_pipeline, RelayDirection.ClientToServer, clientInput, serverWriter, clientWriter, pumps.Token);
        var fromServer = LinePump.Start(_pipeline, RelayDirection.ServerToClient, process.StandardOutput.BaseStream, clientWriter, serverWriter, CancellationToken.None);

        var first = await Task.WhenAny(fromClient, fromServer).ConfigureAwait(false);
        if (first == fromClient)
        {
            // Client EOF (or cancellation): EOF to the child, a grace period, then kill.
            serverWriter.Close();
            await WaitOrKillAsync(process).ConfigureAwait(false);

            // The child's last messages are relayed, within a bound: a client that stopped reading (the pump blocked in
            // a write to it) or a grandchild holding the child's stdout open must not keep the gateway alive.
            await WithinShutdownTimeoutAsync(IgnoreFailures(fromServer)).ConfigureAwait(false);
        }
        else
        {
            // The child closed its stdout (normally: it exited). Stop reading the client.
            await WaitOrKillAsync(process).ConfigureAwait(false);
            await pumps.CancelAsync().ConfigureAwait(false);
            await Task.WhenAny(IgnoreFailures(fromClient), Task.Delay(TimeSpan.FromMilliseconds(200), TimeProvider, CancellationToken.None)).ConfigureAwait(false);
        }

        await WithinShutdownTimeoutAsync(IgnoreFailures(stderr)).ConfigureAwait(false);
        var exitCode = process.ExitCode;
        GatewayLog.ServerExited(_logger, exitCode);
        return exitCode;
    }

    private Process StartProcess()
    {
        var start = new ProcessStartInfo(_server.FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _server.WorkingDirectory ?? string.Empty,
        };
        foreach (var argument in _server.Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new Win32Exception($"could not start '{_server.FileName}'");
    }

    private async Task WaitOrKillAsync(Process process)
    {
        using var timeout = new CancellationTokenSource(ShutdownTimeout, TimeProvider);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            GatewayLog.ServerKilled(_logger, ShutdownTimeout);
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Exited in the meantime.
            }

            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task PassThroughAsync(StreamReader from, TextWriter to)
    {
        while (await from.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            await to.WriteLineAsync(line).ConfigureAwait(false);
            await to.FlushAsync().ConfigureAwait(false);
        }
    }

    private async Task WithinShutdownTimeoutAsync(Task task) =>
        await Task.WhenAny(task, Task.Delay(ShutdownTimeout, TimeProvider, CancellationToken.None)).ConfigureAwait(false);

    private static async Task IgnoreFailures(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected when a pump is stopped.
        }
        catch (IOException)
        {
            // The other side went away.
        }
    }
}
