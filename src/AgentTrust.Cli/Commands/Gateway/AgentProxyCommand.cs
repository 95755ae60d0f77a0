using System.CommandLine;
using AgentTrust.Gateway;
using AgentTrust.Gateway.Configuration;

namespace AgentTrust.Cli.Commands.Gateway;

/// <summary>
/// <c>agenttrust agent-proxy --key NAME --passport FILE [options] -- &lt;server command&gt;</c> (or <c>--upstream URL
/// --listen …</c>): the agent-side mirror of <c>proxy</c> for MCP clients that cannot sign. Signs every outgoing
/// message with the agent's passport, verifies the server side's countersignatures and tool pins, and keeps the
/// agent's own receipts (with --audit-dir).
/// </summary>
internal static class AgentProxyCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("agent-proxy", "Sign an MCP client's messages with an agent passport and verify the server gateway's countersignatures and tool pins (stdio after --, or --upstream/--listen).");
        var options = new GatewayCommandOptions();
        options.AddTo(command, serverSide: false);
        command.SetAction((parse, ct) => RunAsync(context, options.Resolve(parse), parse.GetValue(options.ServerCommand) ?? [], ct));
        return command;
    }

    internal static async Task<int> RunAsync(CliContext context, GatewayOptions options, string[] serverCommand, CancellationToken cancellationToken)
    {
        if (options.MinTrust > 0 || options.Tools.Count > 0)
        {
            throw CliFailure.Usage("--min-trust and per-tool rules apply to the server-side proxy, not to agent-proxy");
        }

        await using var host = await GatewayHost.OpenAsync(context, options, agentSide: true, cancellationToken).ConfigureAwait(false);
        return await host.RunAsync(serverCommand, identity => GatewayPipelineFactory.CreateAgentSide(options, identity, host.Identity!, host.Trust, host.Audit, context.Time, host.ReplayStore), cancellationToken).ConfigureAwait(false);
    }
}
