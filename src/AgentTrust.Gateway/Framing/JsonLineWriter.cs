using System.Buffers;

namespace AgentTrust.Gateway.Framing;

/// <summary>
/// Writes newline-delimited messages to a stream. Writes from several pumps are serialised, so each message stays
/// one intact line and the order of calls is the order on the wire. Writes are synchronous: they are made from the
/// pumps' own threads, and a pipe write either completes at once or must hold back that pump anyway.
/// </summary>
public sealed class JsonLineWriter
{
    private readonly Stream _stream;
    private readonly Lock _gate = new();
    private volatile bool _closed;
    private int _closing;

    /// <summary>Creates a writer over <paramref name="stream"/> (not owned until <see cref="Close"/>).</summary>
    public JsonLineWriter(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
    }

    /// <summary>Writes one message followed by a newline and flushes. Returns false when the stream is closed or broken.</summary>
    public bool Write(ReadOnlySpan<byte> message)
    {
        // One write per message: a line written in two parts (message, then newline) wakes the reader on the other end
        // of a pipe twice, once for half a line it cannot use yet.
        var line = ArrayPool<byte>.Shared.Rent(message.Length + 1);
        try
        {
            message.CopyTo(line);
            line[message.Length] = (byte)'\n';
            lock (_gate)
            {
                if (_closed)
                {
                    return false;
                }

                try
                {
                    _stream.Write(line, 0, message.Length + 1);
                    _stream.Flush();
                    return true;
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException)
                {
                    _closed = true;
                    return false;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(line);
        }
    }

    /// <summary>
    /// Closes the underlying stream (used to send EOF to a child's stdin). Later writes return false. It does not wait
    /// for a write in progress: one blocked on a full pipe (a child that stopped reading) must not block the shutdown
    /// that ends with killing that child; it completes or fails on its own.
    /// </summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            return;
        }

        _closed = true;
        try
        {
            _stream.Dispose();
        }
        catch (IOException)
        {
            // The reader is already gone: nothing left to close.
        }
    }
}
