using AgentTrust.Errors;
using AgentTrust.Gateway.Identity;
using AgentTrust.Gateway.Messages;
using AgentTrust.Gateway.Pipeline;
using AgentTrust.Mcps.Envelopes;

namespace AgentTrust.Gateway.Signing;

/// <summary>
/// Signs every server→client message with the gateway's passport (P2 placement, container last), embedding the
/// passport and binding responses and errors to their request with <c>io.agenttrust/reply-to</c>. A message the server
/// signed itself is passed unchanged.
/// </summary>
public sealed class CountersignStage : IRelayStage, IRejectionSigner
{
    private readonly McpsMessageSigner _signer;
    private readonly GatewayIdentity _identity;

    /// <summary>Creates the stage.</summary>
    public CountersignStage(GatewayIdentity identity, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        _identity = identity;
        _signer = new McpsMessageSigner(identity.MessageKey, identity.Passport.PassportId, time);
    }

    /// <inheritdoc />
    public void SignRejection(System.Text.Json.Nodes.JsonObject errorResponse, RelayExchange? request)
    {
        ArgumentNullException.ThrowIfNull(errorResponse);
        var replyTo = request is not null && request.Message.Kind == MessageKind.Request ? MessageHashes.OfRequest(request) : null;
        _signer.Sign(errorResponse, new McpsSignOptions { ReplyTo = replyTo, Passport = _identity.Passport });
    }

    /// <inheritdoc />
    public ValueTask<StageResult> OnClientMessageAsync(RelayExchange exchange, CancellationToken cancellationToken) =>
        ValueTask.FromResult(StageResult.Continue);

    /// <inheritdoc />
    public ValueTask<StageResult> OnServerMessageAsync(RelayExchange exchange, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        var message = exchange.Message;
        var replyTo = message.Kind is MessageKind.Response or MessageKind.Error && exchange.Request is { } request ? MessageHashes.OfRequest(request) : null;
        try
        {
            _signer.Sign(message.Json, new McpsSignOptions { ReplyTo = replyTo, Passport = _identity.Passport });
        }
        catch (ArgumentException)
        {
            // Already carrying a container (the server's own, or a forged one) or not signable without changing it.
            // Forwarding it unsigned would let the server's message pass as if the gateway had checked it: refused.
            return ValueTask.FromResult(StageResult.Reject(GatewayRejection.Mcps(McpsCode.InvalidSignature, "ambiguous_envelope")));
        }

        message.MarkModified();
        return ValueTask.FromResult(StageResult.Continue);
    }
}
