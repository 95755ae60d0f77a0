using AgentTrust.Gateway.Messages;

namespace AgentTrust.Gateway.Pipeline;

/// <summary>
/// A message on its way through the pipeline, with the request it answers (for responses and errors) and a bag
/// in which stages leave results for later stages (for example the verified passport for the receipt stage).
/// </summary>
public sealed class RelayExchange
{
    private List<Task>? _beforeForwarding;

    internal RelayExchange(RelayMessage message, RelayDirection direction, RelayExchange? request, IDictionary<string, object?>? session = null)
    {
        Session = session ?? new System.Collections.Concurrent.ConcurrentDictionary<string, object?>(StringComparer.Ordinal);
        Message = message;
        Direction = direction;
        Request = request;
    }

    /// <summary>The message being relayed.</summary>
    public RelayMessage Message { get; }

    /// <summary>Which way it travels.</summary>
    public RelayDirection Direction { get; }

    /// <summary>For a response or error: the exchange of the request it answers, as it was forwarded; otherwise null.</summary>
    public RelayExchange? Request { get; }

    /// <summary>Values stages share about this message (keys are the stages' own constants).</summary>
    public IDictionary<string, object?> Items { get; } = new Dictionary<string, object?>(StringComparer.Ordinal);

    /// <summary>
    /// Values stages keep for the whole session this message belongs to: one pipeline per connection (stdio) or per
    /// <c>Mcp-Session-Id</c> (HTTP), for example the attestation verdict of the <c>initialize</c> handshake.
    /// </summary>
    public IDictionary<string, object?> Session { get; }

    /// <summary>The bytes of the message as received, before any stage changed it (used for hashes over the received form).</summary>
    public ReadOnlyMemory<byte> ReceivedBytes { get; internal init; }

    /// <summary>
    /// Registers work a stage started that must complete before the message may leave the gateway (a durable audit
    /// append), so that the stages after it run meanwhile. The pipeline waits for every registered task before it
    /// forwards the message; if one fails, the message is refused (MCPS-025, fail closed), never forwarded.
    /// </summary>
    /// <param name="work">The started work.</param>
    public void ForwardOnlyAfter(Task work)
    {
        ArgumentNullException.ThrowIfNull(work);
        (_beforeForwarding ??= []).Add(work);
    }

    /// <summary>Waits for every task registered with <see cref="ForwardOnlyAfter"/>; returns the first failure, or null.</summary>
    internal async ValueTask<Exception?> WaitBeforeForwardingAsync()
    {
        if (_beforeForwarding is not { } pending)
        {
            return null;
        }

        _beforeForwarding = null;
        Exception? failure = null;
        foreach (var work in pending)
        {
            try
            {
                await work.ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Any failure of work the message depends on refuses the message (fail closed).
            catch (Exception e)
#pragma warning restore CA1031
            {
                failure ??= e;
            }
        }

        return failure;
    }
}
