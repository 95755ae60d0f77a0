using System.CommandLine;
using System.ComponentModel;
using AgentTrust.Gateway;
using AgentTrust.Gateway.Configuration;
using AgentTrust.Gateway.Http;
using AgentTrust.Gateway.Pipeline;
using AgentTrust.Gateway.Stdio;
using Microsoft.Extensions.Logging;

namespace AgentTrust.Cli.Commands.Gateway;

/// <summary>
/// <c>agenttrust proxy [options] -- &lt;server command&gt; [args…]</c> (stdio) and
/// <c>agenttrust proxy --upstream URL --listen 127.0.0.1:PORT [options]</c> (Streamable HTTP): the gateway in front of
/// any MCP server.
/// </summary>
internal static class ProxyCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("proxy", "Run the AgentTrust gateway in front of an MCP server: stdio child process (after --) or Streamable HTTP (--upstream, --listen).");
        var options = new GatewayCommandOptions();
        options.AddTo(command);
        command.SetAction((parse, ct) => RunAsync(context, options.Resolve(parse), parse.GetValue(options.ServerCommand) ?? [], ct));
        return command;
    }

    internal static async Task<int> RunAsync(CliContext context, GatewayOptions options, string[] serverCommand, CancellationToken cancellationToken)
    {
        RefuseUnavailable(options);
        using var loggers = LoggerFactory.Create(b => b.AddProvider(new TextWriterLoggerProvider(context.Error, LogLevel.Warning)));
        var logger = loggers.CreateLogger("AgentTrust.Gateway");

        if (options.Upstream is { } upstream)
        {
            if (serverCommand.Length > 0)
            {
                throw CliFailure.Usage("give either --upstream or a server command after --, not both");
            }

            if (options.Listen is null)
            {
                throw CliFailure.Usage("--upstream needs --listen 127.0.0.1:PORT");
            }

            await using var gateway = new HttpGateway(CreateStages(options, upstream.AbsoluteUri, context), options, loggers);
            await gateway.RunAsync(cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        if (serverCommand.Length == 0)
        {
            throw CliFailure.Usage("give the MCP server command after --, or --upstream URL --listen 127.0.0.1:PORT");
        }

        var server = new ServerCommand(serverCommand[0], serverCommand[1..]);
        var pipeline = new RelayPipeline(CreateStages(options, server.Identity, context), options.Limits, logger);
        var stdio = new StdioGateway(pipeline, server, logger)
        {
            ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownTimeoutSeconds),
            TimeProvider = context.Time,
        };

        try
        {
            return await stdio.RunAsync(context.StandardInput, TextWriterStream.For(context.Out), context.Error, cancellationToken).ConfigureAwait(false);
        }
        catch (Win32Exception)
        {
            throw CliFailure.Environment("AT-ENV-SERVER", $"could not start the server command '{server.FileName}'");
        }
    }

    private static IReadOnlyList<IRelayStage> CreateStages(GatewayOptions options, string identity, CliContext context)
    {
        try
        {
            return GatewayPipelineFactory.CreateStages(options, identity, context.Time);
        }
        catch (InvalidDataException)
        {
            throw CliFailure.Environment("AT-ENV-FILE", "the tool pin file is not readable as pins");
        }
    }

    // Fail closed: a configuration that asks for a check this build cannot perform must not silently relay.
    private static void RefuseUnavailable(GatewayOptions options)
    {
        if (options.RequiresVerification)
        {
            throw CliFailure.Environment("AT-GATEWAY-UNAVAILABLE", "signature, passport and trust-level checks are not wired into this build of the gateway yet; refusing to relay unverified");
        }

        if (options.AuditDir is not null || options.Key is not null || options.Passport is not null)
        {
            throw CliFailure.Environment("AT-GATEWAY-UNAVAILABLE", "countersigning and receipts are not wired into this build of the gateway yet");
        }
    }
}
