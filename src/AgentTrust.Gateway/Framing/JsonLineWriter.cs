namespace AgentTrust.Gateway.Framing;

/// <summary>
/// Writes newline-delimited messages to a stream. Writes from several pumps are serialised, so each message stays
/// one intact line and the order of calls is the order on the wire.
/// </summary>
public sealed class JsonLineWriter : IDisposable
{
    private static readonly byte[] Newline = [(byte)'\n'];
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

            await _stream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            await _stream.WriteAsync(Newline, cancellationToken).ConfigureAwait(false);
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
