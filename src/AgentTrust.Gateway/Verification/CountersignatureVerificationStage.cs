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
/// (<c>io.agenttrust/reply-to</c>), and the signer must be the pinned server passport (<see cref="ServerPassport"/>:
/// configured, or pinned on first use), else MCPS-011 <c>server_passport_mismatch</c>: a valid countersignature by
/// another gateway means another party answers in the server gateway's place, an identity binding like the origin and
/// audience checks of MCPS-011. Bilateral receipts of tool calls are kept in the agent's audit log.
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

    /// <summary>The pin of the server side's passport; null accepts any valid signer (not used by the gateway's own pipelines).</summary>
    public Pinning.ServerPassportPin? ServerPassport { get; init; }

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

        if (ServerPassport is not null)
        {
            if (result.PassportId is not { } signer || result.SignerThumbprint is not { } thumbprint)
            {
                return StageResult.Reject(GatewayRejection.Mcps(McpsCode.InvalidPassport, McpsReasons.UnknownPassport));
            }

            if (await ServerPassport.CheckAsync(signer, thumbprint, cancellationToken).ConfigureAwait(false) is ({ } mismatch, var expected))
            {
                return StageResult.Reject(GatewayRejection.Mcps(mismatch.Code, mismatch.Reason,
                    new JsonObject { ["expected_passport_id"] = expected, ["received_passport_id"] = signer }));
            }
        }

        if (_audit is not null && message.Kind == MessageKind.Response && message.Json["result"]?["_meta"]?["_signet_bilateral"] is JsonObject bilateral
            && Receipt.TryParse(System.Text.Encoding.UTF8.GetBytes(bilateral.ToJsonString()), out _) is { } receipt)
        {
            await _audit.AppendAsync(receipt, cancellationToken).ConfigureAwait(false);
        }

        return StageResult.Continue;
    }
}
