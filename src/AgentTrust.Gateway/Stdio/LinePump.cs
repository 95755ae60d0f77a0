using AgentTrust.Gateway.Framing;
using AgentTrust.Gateway.Pipeline;

namespace AgentTrust.Gateway.Stdio;

/// <summary>
/// One direction of a newline-delimited relay: reads lines in order, runs each through the pipeline, and writes the
/// outcome before reading the next line, so the wire order is kept exactly.
/// </summary>
/// <remarks>
/// Each pump owns a dedicated thread that blocks in <c>read</c> on its pipe: a message wakes exactly that thread, which
/// checks it and writes it on. Awaiting the pipe instead cost several thread-pool hand-offs per message (the readiness
/// notification, the read, the continuation), and the pool's spinning workers, with four processes sharing two
/// cores, most of the gateway's CPU per hop. Stages that really wait (a durable audit append, a Trust Authority
/// lookup) still run asynchronously while the pump's thread waits for them.
/// </remarks>
internal static class LinePump
{
    /// <summary>
    /// Starts the pump on its own thread. The task completes when <paramref name="from"/> ends and faults if the pump
    /// fails. When <paramref name="cancellationToken"/> fires, a message being processed is finished first (its stages
    /// use the gateway's stores and keys, which are closed once the task completes); a thread blocked in a read cannot
    /// be interrupted, so then the task is cancelled at once and the thread is left behind (a background thread) and
    /// drops whatever it reads afterwards.
    /// </summary>
    public static Task Start(
        RelayPipeline pipeline,
        RelayDirection direction,
        Stream from,
        JsonLineWriter recipient,
        JsonLineWriter sender,
        CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var state = new PumpState();
        var registration = cancellationToken.Register(() =>
        {
            if (Volatile.Read(ref state.Reading) == 1)
            {
                done.TrySetCanceled(cancellationToken);
            }
        });
        var thread = new Thread(() =>
        {
            try
            {
                Run(pipeline, direction, from, (recipient, sender), state, cancellationToken);
                done.TrySetResult();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                done.TrySetCanceled(cancellationToken);
            }
#pragma warning disable CA1031 // Whatever ends the pump is handed to the gateway, which decides; the thread must not crash the process.
            catch (Exception e)
#pragma warning restore CA1031
            {
                done.TrySetException(e);
            }
            finally
            {
                registration.Dispose();
            }
        })
        {
            IsBackground = true,
            Name = direction == RelayDirection.ClientToServer ? "agenttrust client→server" : "agenttrust server→client",
        };
        thread.Start();
        return done.Task;
    }

    private static void Run(RelayPipeline pipeline, RelayDirection direction, Stream from, (JsonLineWriter Recipient, JsonLineWriter Sender) to, PumpState state, CancellationToken cancellationToken)
    {
        var reader = new JsonLineReader(from, pipeline.Limits.MaxMessageBytes);
        while (true)
        {
            // Marked before the token is looked at (a full fence): either the cancellation sees the thread reading and
            // completes the task, or the thread sees the cancellation and stops here.
            Interlocked.Exchange(ref state.Reading, 1);
            cancellationToken.ThrowIfCancellationRequested();
            var read = reader.Read();
            Interlocked.Exchange(ref state.Reading, 0);
            cancellationToken.ThrowIfCancellationRequested();
            RelayOutcome outcome;
            switch (read.Kind)
            {
                case LineReadKind.End:
                    return;
                case LineReadKind.TooLarge:
                    outcome = pipeline.RejectOversized(direction);
                    break;
                default:
                    var processing = pipeline.ProcessAsync(read.Line, direction, cancellationToken);
                    outcome = processing.IsCompletedSuccessfully ? processing.Result : processing.AsTask().GetAwaiter().GetResult();
                    break;
            }

            if (outcome.ToRecipient is { } forward)
            {
                to.Recipient.Write(forward.Span);
            }

            if (outcome.ToSender is { } reply)
            {
                to.Sender.Write(reply.Span);
            }
        }
    }

    // Whether the pump's thread is (about to be) blocked in a read, where a cancellation cannot reach it.
    private sealed class PumpState
    {
        public int Reading;
    }
}
