using System.Buffers;

namespace AgentTrust.Json.Canonical;

/// <summary>
/// A thin cursor over an <see cref="IBufferWriter{T}"/>: asks for large spans and advances in bulk, so the
/// canonical writer does not pay an interface call per byte. Call <see cref="Flush"/> when done.
/// </summary>
internal ref struct JcsOutput
{
    private const int ChunkSize = 4096;

    private readonly IBufferWriter<byte> _writer;
    private Span<byte> _span;
    private int _position;

    public JcsOutput(IBufferWriter<byte> writer)
    {
        _writer = writer;
        _span = default;
        _position = 0;
    }

    /// <summary>Returns a span of at least <paramref name="length"/> bytes at the cursor; commit with <see cref="Advance"/>.</summary>
    public Span<byte> GetSpan(int length)
    {
        if (_span.Length - _position < length)
        {
            Flush();
            _span = _writer.GetSpan(Math.Max(length, ChunkSize));
        }

        return _span[_position..];
    }

    public void Advance(int count) => _position += count;

    public void WriteByte(byte value)
    {
        if (_position >= _span.Length)
        {
            Flush();
            _span = _writer.GetSpan(ChunkSize);
        }

        _span[_position++] = value;
    }

    public void Write(scoped ReadOnlySpan<byte> bytes)
    {
        // Large blocks go through in pieces no bigger than a chunk request needs to be.
        while (bytes.Length > 0)
        {
            var piece = Math.Min(bytes.Length, 1 << 20);
            bytes[..piece].CopyTo(GetSpan(piece));
            _position += piece;
            bytes = bytes[piece..];
        }
    }

    public void Flush()
    {
        if (_position > 0)
        {
            _writer.Advance(_position);
        }

        _span = default;
        _position = 0;
    }
}
