namespace AgentTrust.Gateway.Pipeline;

/// <summary>
/// One check or transformation of the gateway pipeline. Stages run in order for each message; the first rejection
/// stops the message (it never reaches the other side) and the pipeline answers the sender with the MCPS error.
/// Implementations never throw on bad input; an exception is treated as MCPS-025 (fail closed).
/// </summary>
public interface IRelayStage
{
    /// <summary>Inspects (and may change) a message travelling from the client to the server.</summary>
    ValueTask<StageResult> OnClientMessageAsync(RelayExchange exchange, CancellationToken cancellationToken);

    /// <summary>Inspects (and may change) a message travelling from the server to the client.</summary>
    ValueTask<StageResult> OnServerMessageAsync(RelayExchange exchange, CancellationToken cancellationToken);
}
