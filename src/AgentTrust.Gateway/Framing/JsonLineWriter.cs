namespace AgentTrust.Gateway.Framing;

/// <summary>
/// Writes newline-delimited messages to a stream. Writes from several pumps are serialised, so each message stays
/// one intact line and the order of calls is the order on the wire.
/// </summary>
public sealed class JsonLineWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _closed;

    /// <summary>Creates a writer over <paramref name="stream"/> (not owned).</summary>
    public JsonLineWriter(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
    }

    /// <summary>Writes one message followed by a newline and flushes. Returns false when the stream is closed or broken.</summary>
    public async ValueTask<bool> WriteAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_closed)
            {
                return false;
            }

            // One write per message: a line written in two parts (message, then newline) wakes the reader on the other
            // end of a pipe twice, once for half a line it cannot use yet.
            // (Not a pooled buffer: a cancelled write may still reference it.)
            var line = new byte[message.Length + 1];
            message.Span.CopyTo(line);
            line[^1] = (byte)'\n';
            await _stream.WriteAsync(line, cancellationToken).ConfigureAwait(false);
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (IOException)
        {
            _closed = true;
            return false;
        }
        catch (ObjectDisposedException)
        {
            _closed = true;
            return false;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Closes the underlying stream after the writes in progress (used to send EOF to a child's stdin).</summary>
    public async ValueTask CloseAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!_closed)
            {
                _closed = true;
                try
                {
                    await _stream.DisposeAsync().ConfigureAwait(false);
                }
                catch (IOException)
                {
                    // The reader is already gone: nothing left to close.
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();
}
