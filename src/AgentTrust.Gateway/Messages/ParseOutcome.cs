namespace AgentTrust.Gateway.Messages;

/// <summary>
/// The result of parsing one incoming line or body: a message, or the JSON-RPC error to answer with
/// (−32700 parse error, −32600 invalid request or batch, or an MCPS input-limit/canonical-input error).
/// </summary>
public sealed class ParseOutcome
{
    private ParseOutcome(RelayMessage? message, GatewayRejection? rejection)
    {
        Message = message;
        Rejection = rejection;
    }

    /// <summary>The parsed message, or null when parsing failed.</summary>
    public RelayMessage? Message { get; }

    /// <summary>Why parsing failed, or null on success.</summary>
    public GatewayRejection? Rejection { get; }

    internal static ParseOutcome Success(RelayMessage message) => new(message, null);

    internal static ParseOutcome Failure(GatewayRejection rejection) => new(null, rejection);
}
