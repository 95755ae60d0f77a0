using AgentTrust.Gateway.Messages;
using AgentTrust.Gateway.Pipeline;

namespace AgentTrust.Tests.Gateway.Support;

/// <summary>
/// The attacker on the wire: a relay stage that changes messages in flight when a test turns it on. Placed in a real
/// HTTP hop (an <see cref="AgentTrust.Gateway.Http.HttpGateway"/> with only this stage) between two gateways or in
/// front of the server.
/// </summary>
internal sealed class RewritingStage : IRelayStage
{
    private volatile Func<RelayMessage, bool>? _client;
    private volatile Func<RelayMessage, bool>? _server;

    /// <summary>Changes client→server messages; returns true when it changed one.</summary>
    public Func<RelayMessage, bool>? RewriteClient { get => _client; set => _client = value; }

    /// <summary>Changes server→client messages; returns true when it changed one.</summary>
    public Func<RelayMessage, bool>? RewriteServer { get => _server; set => _server = value; }

    public ValueTask<StageResult> OnClientMessageAsync(RelayExchange exchange, CancellationToken cancellationToken)
    {
        if (_client?.Invoke(exchange.Message) == true)
        {
            exchange.Message.MarkModified();
        }

        return ValueTask.FromResult(StageResult.Continue);
    }

    public ValueTask<StageResult> OnServerMessageAsync(RelayExchange exchange, CancellationToken cancellationToken)
    {
        if (_server?.Invoke(exchange.Message) == true)
        {
            exchange.Message.MarkModified();
        }

        return ValueTask.FromResult(StageResult.Continue);
    }
}
