using System.CommandLine;
using AgentTrust.Gateway;
using AgentTrust.Gateway.Configuration;
using AgentTrust.Gateway.Pipeline;

namespace AgentTrust.Cli.Commands.Gateway;

/// <summary>
/// <c>agenttrust proxy [options] -- &lt;server command&gt; [args…]</c> (stdio) and
/// <c>agenttrust proxy --upstream URL --listen 127.0.0.1:PORT [options]</c> (Streamable HTTP): the gateway in front of
/// any MCP server. Verifies client messages (with --trust-store / --min-trust / per-tool rules), pins tools,
/// countersigns and writes receipts (with --key / --audit-dir).
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
        await using var host = await GatewayHost.OpenAsync(context, options, requireIdentity: false, cancellationToken).ConfigureAwait(false);
        return await host.RunAsync(serverCommand, identity => GatewayPipelineFactory.CreateServerSide(options, identity, host.Identity, host.Trust, host.Audit, context.Time), cancellationToken).ConfigureAwait(false);
    }
}
