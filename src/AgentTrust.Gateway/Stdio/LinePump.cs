using AgentTrust.Gateway.Framing;
using AgentTrust.Gateway.Pipeline;

namespace AgentTrust.Gateway.Stdio;

/// <summary>
/// One direction of a newline-delimited relay: reads lines in order, runs each through the pipeline, and writes the
/// outcome before reading the next line, so the wire order is kept exactly.
/// </summary>
internal static class LinePump
{
    public static async Task RunAsync(
        RelayPipeline pipeline,
        RelayDirection direction,
        Stream from,
        JsonLineWriter recipient,
        JsonLineWriter sender,
        CancellationToken cancellationToken)
    {
        await using var reader = new JsonLineReader(from, pipeline.Limits.MaxMessageBytes);
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            RelayOutcome outcome;
            switch (read.Kind)
            {
                case LineReadKind.End:
                    return;
                case LineReadKind.TooLarge:
                    outcome = pipeline.RejectOversized(direction);
                    break;
                default:
                    outcome = await pipeline.ProcessAsync(read.Line, direction, cancellationToken).ConfigureAwait(false);
                    break;
            }

            if (outcome.ToRecipient is { } forward)
            {
                await recipient.WriteAsync(forward, cancellationToken).ConfigureAwait(false);
            }

            if (outcome.ToSender is { } reply)
            {
                await sender.WriteAsync(reply, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
