using AgentTrust.Errors;
using AgentTrust.Gateway.Configuration;
using AgentTrust.Gateway.Messages;
using AgentTrust.Gateway.Pipeline;
using AgentTrust.Mcps;
using AgentTrust.Mcps.Envelopes;

namespace AgentTrust.Gateway.Verification;

/// <summary>
/// The server-side gateway check of every client message (mcps.md §6 through the mcps verifier): envelope in either
/// placement, passport and chain (embedded, local trust store or Trust Authority), signature, revocation, minimum trust
/// level globally and per tool, and the nonce last. A message that fails never reaches the server. A session (the stdio
/// connection, or one <c>Mcp-Session-Id</c>) belongs to the signer of its first verified message (passport id and key
/// thumbprint): a message in it signed by anyone else is refused (MCPS-018 <c>session_signer_mismatch</c>), so whoever
/// learns a session id can neither answer the server's requests in that session nor act inside it.
/// </summary>
public sealed class McpsVerificationStage : IRelayStage
{
    /// <summary>The key under which the verification result of a client message is left in <see cref="RelayExchange.Items"/>.</summary>
    public const string ResultKey = "agenttrust.mcps.verification";

    private const string SessionSignerKey = "agenttrust.mcps.session-signer";

    private readonly McpsMessageVerifier _verifier;
    private readonly GatewayOptions _options;

    /// <summary>Creates the stage.</summary>
    public McpsVerificationStage(McpsMessageVerifier verifier, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        ArgumentNullException.ThrowIfNull(options);
        _verifier = verifier;
        _options = options;
    }

    /// <inheritdoc />
    public async ValueTask<StageResult> OnClientMessageAsync(RelayExchange exchange, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        var tool = exchange.Message.ToolName;
        var rule = tool is not null && _options.Tools.TryGetValue(tool, out var r) ? r : null;
        var context = new McpsVerificationContext
        {
            MinimumTrustLevel = Math.Max(rule?.MinTrust ?? 0, _options.MinTrust),   // a tool rule only ever raises the minimum
            RequireSignature = true,
        };
        var result = await _verifier.VerifyAsync(exchange.ReceivedBytes, context, cancellationToken).ConfigureAwait(false);
        if (!result.IsValid)
        {
            var details = result.PassportId is null ? null : new System.Text.Json.Nodes.JsonObject { ["passport_id"] = result.PassportId };
            return StageResult.Reject(GatewayRejection.Mcps(result.Code ?? McpsCode.InternalError, result.Reason ?? McpsReasons.Internal, details));
        }

        var signer = new SessionSigner(result.PassportId, result.SignerThumbprint);
        if (!exchange.Session.TryAdd(SessionSignerKey, signer) && exchange.Session[SessionSignerKey] is SessionSigner owner && owner != signer)
        {
            return StageResult.Reject(GatewayRejection.Mcps(McpsCode.PolicyDenied, McpsReasons.SessionSignerMismatch,
                new System.Text.Json.Nodes.JsonObject { ["passport_id"] = result.PassportId }));
        }

        exchange.Items[ResultKey] = result;
        return StageResult.Continue;
    }

    private sealed record SessionSigner(string? PassportId, string? Thumbprint);

    /// <inheritdoc />
    public ValueTask<StageResult> OnServerMessageAsync(RelayExchange exchange, CancellationToken cancellationToken) =>
        ValueTask.FromResult(StageResult.Continue);
}
