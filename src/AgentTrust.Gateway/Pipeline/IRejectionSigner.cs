using System.Text.Json.Nodes;

namespace AgentTrust.Gateway.Pipeline;

/// <summary>
/// A stage that also signs the errors the pipeline itself sends to the client (refusals), so a signing peer can tell
/// a genuine gateway refusal from a forged one.
/// </summary>
public interface IRejectionSigner
{
    /// <summary>Signs <paramref name="errorResponse"/> (a JSON-RPC error about to be sent to the client) in place.</summary>
    /// <param name="errorResponse">The error response.</param>
    /// <param name="request">The refused request as received, or null when it could not be read.</param>
    void SignRejection(JsonObject errorResponse, RelayExchange? request);
}

/// <summary>
/// A stage that signs the errors the pipeline itself sends to the server: the agent side, whose peer (the server side's
/// gateway) requires every client message to be signed and would otherwise replace the refusal with its own error,
/// losing the agent side's reason.
/// </summary>
public interface IServerRejectionSigner
{
    /// <summary>Signs <paramref name="errorResponse"/> (a JSON-RPC error about to be sent to the server) in place.</summary>
    /// <param name="errorResponse">The error response.</param>
    void SignServerRejection(JsonObject errorResponse);
}
