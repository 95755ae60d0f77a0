using System.Text.Json.Nodes;
using AgentTrust.Audit;
using AgentTrust.Errors;
using AgentTrust.Gateway.Messages;
using AgentTrust.Gateway.Pipeline;
using AgentTrust.Gateway.Signing;
using AgentTrust.Mcps;
using AgentTrust.Mcps.Envelopes;
using AgentTrust.Receipts;

namespace AgentTrust.Gateway.Verification;

/// <summary>
/// The agent side's check of everything the server side sends: each message must carry a valid MCPS signature
/// (countersigned by the server gateway), a response or error must name the request it answers
/// (<c>io.agenttrust/reply-to</c>), and, when <see cref="ExpectedServerPassportId"/> is set, the signer must be that
/// passport. Bilateral receipts of tool calls are kept in the agent's audit log.
/// </summary>
public sealed class CountersignatureVerificationStage : IRelayStage
{
    private readonly McpsMessageVerifier _verifier;
    private readonly AuditLog? _audit;

    /// <summary>Creates the stage.</summary>
    public CountersignatureVerificationStage(McpsMessageVerifier verifier, AuditLog? audit)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        _verifier = verifier;
        _audit = audit;
    }

    /// <summary>The only passport accepted as the server side's signer, or null for any valid one.</summary>
    public string? ExpectedServerPassportId { get; init; }

    /// <inheritdoc />
    public ValueTask<StageResult> OnClientMessageAsync(RelayExchange exchange, CancellationToken cancellationToken) =>
        ValueTask.FromResult(StageResult.Continue);

    /// <inheritdoc />
    public async ValueTask<StageResult> OnServerMessageAsync(RelayExchange exchange, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        var message = exchange.Message;
        string? replyTo = null;
        if (message.Kind is MessageKind.Response or MessageKind.Error)
        {
            if (exchange.Request is null)
            {
                return StageResult.Reject(GatewayRejection.Mcps(McpsCode.InvalidSignature, McpsReasons.ReplyMismatch));
            }

            replyTo = MessageHashes.OfRequest(exchange.Request);
        }

        var result = await _verifier.VerifyAsync(exchange.ReceivedBytes, new McpsVerificationContext { ExpectedReplyTo = replyTo, RequireSignature = true }, cancellationToken).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return StageResult.Reject(GatewayRejection.Mcps(result.Code ?? McpsCode.InternalError, result.Reason ?? McpsReasons.Internal));
        }

        if (ExpectedServerPassportId is not null && result.PassportId != ExpectedServerPassportId)
        {
            return StageResult.Reject(GatewayRejection.Mcps(McpsCode.InvalidPassport, McpsReasons.UnknownPassport));
        }

        if (_audit is not null && message.Kind == MessageKind.Response && message.Json["result"]?["_meta"]?["_signet_bilateral"] is JsonObject bilateral
            && Receipt.TryParse(System.Text.Encoding.UTF8.GetBytes(bilateral.ToJsonString()), out _) is { } receipt)
        {
            await _audit.AppendAsync(receipt, cancellationToken).ConfigureAwait(false);
        }

        return StageResult.Continue;
    }
}
