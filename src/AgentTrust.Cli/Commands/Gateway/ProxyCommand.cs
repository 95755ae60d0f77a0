using System.CommandLine;
using AgentTrust.Attestation;
using AgentTrust.Cli.Commands.Attest;
using AgentTrust.Gateway;
using AgentTrust.Gateway.Configuration;
using AgentTrust.Gateway.Pipeline;
using AgentTrust.Replay;
using Microsoft.Extensions.Logging;

namespace AgentTrust.Cli.Commands.Gateway;

/// <summary>
/// <c>agenttrust proxy [options] -- &lt;server command&gt; [args…]</c> (stdio) and
/// <c>agenttrust proxy --upstream URL --listen 127.0.0.1:PORT [options]</c> (Streamable HTTP): the gateway in front of
/// any MCP server. Verifies client messages (with --trust-store / --min-trust / per-tool rules), pins tools,
/// verifies attestation tokens (with --attestation-issuer / --attestation-jwks / --attestation-audience),
/// countersigns and writes receipts (with --key / --audit-dir).
/// </summary>
internal static class ProxyCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("proxy", "Run the AgentTrust gateway in front of an MCP server: stdio child process (after --) or Streamable HTTP (--upstream, --listen). Verifies MCPS signatures (--trust-store, --authority, --min-trust) and attestation tokens (--attestation-issuer with --attestation-jwks and --attestation-audience).");
        var options = new GatewayCommandOptions();
        options.AddTo(command, serverSide: true);
        command.SetAction((parse, ct) => RunAsync(context, options.Resolve(parse), parse.GetValue(options.ServerCommand) ?? [], ct));
        return command;
    }

    internal static async Task<int> RunAsync(CliContext context, GatewayOptions options, string[] serverCommand, CancellationToken cancellationToken)
    {
        var keySources = new List<AttestCommand.KeySource>();
        try
        {
            await using var host = await GatewayHost.OpenAsync(context, options, agentSide: false, cancellationToken).ConfigureAwait(false);
            var attestationLog = host.Loggers.CreateLogger("AgentTrust.Gateway.Attestation");
            var attestation = await CreateAttestationVerifierAsync(context, options.Attestation, host.ReplayStore, host.AttestationMetrics, attestationLog, keySources, cancellationToken).ConfigureAwait(false);
            return await host.RunAsync(serverCommand, identity => GatewayPipelineFactory.CreateServerSide(options, identity, host.Identity, host.Trust, host.Audit, context.Time, attestation, host.ReplayStore), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var source in keySources)
            {
                source.Dispose();
            }
        }
    }

    // One verifier per gateway run, on the gateway's replay store (shared with the MCPS nonces, and across processes).
    // Under preferred, a missing token proceeds unattested with a warning (attestation.md §6); the gateway only asks
    // the verifier about a missing token at initialize, so this is one line per unattested session.
    private static async Task<AttestationVerifier?> CreateAttestationVerifierAsync(CliContext context, AttestationSettings settings, IReplayStore replayStore, AttestationMetrics metrics, ILogger log, List<AttestCommand.KeySource> keySources, CancellationToken cancellationToken)
    {
        if (!settings.IsEnabled)
        {
            return null;
        }

        var issuers = new List<TrustedIssuer>();
        foreach (var issuer in settings.Issuers)
        {
            var keys = await AttestCommand.OpenKeySourceAsync(issuer.Jwks, context.Time, context.Error, cancellationToken).ConfigureAwait(false);
            keySources.Add(keys);
            issuers.Add(new TrustedIssuer(issuer.Issuer, keys.Resolver));
        }

        return new AttestationVerifier(new AttestationVerifierOptions
        {
            Issuers = issuers,
            Audience = settings.Audience!,
            Mode = settings.Mode,
            ReplayStore = replayStore,
            TimeProvider = context.Time,
            Metrics = metrics,
            Hooks = settings.Mode != AttestationPolicyMode.Preferred ? null : new AttestationHooks
            {
                Rejected = verdict =>
                {
                    if (verdict.Reason == AttestationReason.Missing)
                    {
                        AttestationLog.ProceedingUnattested(log);
                    }
                },
            },
        });
    }
}
