using System.Text.Json.Nodes;
using AgentTrust.Audit;
using AgentTrust.Gateway.Identity;
using AgentTrust.Gateway.Messages;
using AgentTrust.Gateway.Pipeline;
using AgentTrust.Mcps.Envelopes;
using AgentTrust.Receipts;

namespace AgentTrust.Gateway.Signing;

/// <summary>
/// The agent side (<c>agent-proxy</c>), for MCP clients that cannot sign: every client message is signed with the
/// agent's passport (P2 placement, container last, passport embedded); a <c>tools/call</c> first gets the agent's v1
/// receipt in <c>params._meta._signet</c> (so the MCPS signature covers it), kept in the agent's own audit log.
/// </summary>
public sealed class AgentSigningStage : IRelayStage, IServerRejectionSigner
{
    private readonly McpsMessageSigner _signer;
    private readonly GatewayIdentity _identity;
    private readonly ReceiptSigner _receipts;
    private readonly AuditLog? _audit;
    private readonly string _target;
    private readonly string? _audience;

    /// <summary>Creates the stage.</summary>
    /// <param name="identity">The agent's identity.</param>
    /// <param name="audit">The agent's audit log, or null to keep no receipts locally.</param>
    /// <param name="target">The server the receipts name as target.</param>
    /// <param name="audience">The intended server for <c>io.agenttrust/aud</c>, or null.</param>
    /// <param name="time">The clock.</param>
    public AgentSigningStage(GatewayIdentity identity, AuditLog? audit, string target, string? audience = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        _identity = identity;
        _signer = new McpsMessageSigner(identity.MessageKey, identity.Passport.PassportId, time);
        _receipts = new ReceiptSigner(identity.ReceiptKey, identity.Name, "", time);
        _audit = audit;
        _target = target;
        _audience = audience;
    }

    /// <inheritdoc />
    public ValueTask<StageResult> OnClientMessageAsync(RelayExchange exchange, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        var message = exchange.Message;
        if (message.Kind == MessageKind.Request && message.ToolName is { } tool && message.Json["params"] is JsonObject parameters)
        {
            var receipt = _receipts.Sign(ReceiptAction.HashOnly(tool, parameters["arguments"], _target));
            if (parameters["_meta"] is not JsonObject meta)
            {
                meta = [];
                parameters["_meta"] = meta;
            }

            meta["_signet"] = receipt.ToJsonObject();
            if (_audit is not null)
            {
                // The receipt becomes durable while the message is signed; the pipeline forwards the call only after.
                exchange.ForwardOnlyAfter(_audit.AppendAsync(receipt, cancellationToken).AsTask());
            }
        }

        var messageHash = _signer.SignAndHash(message.Json, new McpsSignOptions
        {
            Passport = _identity.Passport,
            Audience = message.Kind == MessageKind.Request ? _audience : null,
        });
        message.MarkModified();
        if (message.Kind == MessageKind.Request)
        {
            // The hash the signer signed, whatever the placement: the one the server side names in reply-to.
            exchange.Items[MessageHashes.SentHashKey] = messageHash;
        }

        return ValueTask.FromResult(StageResult.Continue);
    }

    /// <inheritdoc />
    public void SignServerRejection(JsonObject errorResponse)
    {
        ArgumentNullException.ThrowIfNull(errorResponse);

        // Signed like the client's own answers to the server's requests.
        _signer.Sign(errorResponse, new McpsSignOptions { Passport = _identity.Passport });
    }

    /// <inheritdoc />
    public ValueTask<StageResult> OnServerMessageAsync(RelayExchange exchange, CancellationToken cancellationToken) =>
        ValueTask.FromResult(StageResult.Continue);
}
