namespace AgentTrust.Gateway.Pipeline;

/// <summary>
/// What to send after one message went through the pipeline: to the side it was going to (the message itself, or
/// the error that replaces a refused answer) and back to the side it came from (the error for a refused request).
/// </summary>
/// <param name="ToRecipient">Bytes for the recipient (one message, no newline), or null.</param>
/// <param name="ToSender">Bytes for the sender (one message, no newline), or null.</param>
/// <param name="Rejection">Why the message was refused, or null when it was forwarded.</param>
public readonly record struct RelayOutcome(ReadOnlyMemory<byte>? ToRecipient, ReadOnlyMemory<byte>? ToSender, Messages.GatewayRejection? Rejection);
