namespace AgentTrust.Gateway.Framing;

/// <summary>
/// Reads newline-delimited messages (MCP stdio framing) with a per-line size bound enforced before anything is
/// parsed: an oversized line is skipped as it streams in (never accumulated in memory) and reported as
/// <see cref="LineReadKind.TooLarge"/>. <see cref="Read"/> blocks the calling thread (for a dedicated pump thread, the
/// cheapest way to wait on a pipe); <see cref="ReadAsync"/> awaits. Both apply the same framing. Not thread-safe.
/// </summary>
public sealed class JsonLineReader
{
    private const int InitialBufferBytes = 64 * 1024;

    private readonly Stream _stream;
    private readonly int _maxLineBytes;
    private byte[] _buffer = new byte[InitialBufferBytes];
    private int _start;     // first byte of the current line
    private int _scanned;   // bytes before this index (from _start) hold no newline
    private int _end;       // end of the bytes read
    private bool _skipping; // inside a line already known to be too large: its bytes are dropped as they arrive
    private bool _ended;

    /// <summary>Creates a reader over <paramref name="stream"/> (not owned); <paramref name="maxLineBytes"/> bounds one line without its newline.</summary>
    public JsonLineReader(Stream stream, int maxLineBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 1);
        _stream = stream;
        _maxLineBytes = maxLineBytes;
    }

    /// <summary>Reads the next line, blocking until one is complete; a final line without a newline is returned at end of stream.</summary>
    public LineReadResult Read()
    {
        while (true)
        {
            if (TryTake(out var result))
            {
                return result;
            }

            Filled(_stream.Read(FreeSpace().Span));
        }
    }

    /// <summary>Reads the next line; a final line without a newline is returned at end of stream.</summary>
    public async ValueTask<LineReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (TryTake(out var result))
            {
                return result;
            }

            Filled(await _stream.ReadAsync(FreeSpace(), cancellationToken).ConfigureAwait(false));
        }
    }

    // The framing: a complete line, an oversized one, or the end; false when more bytes are needed.
    private bool TryTake(out LineReadResult result)
    {
        var unscanned = _buffer.AsSpan(_scanned, _end - _scanned);
        var newline = unscanned.IndexOf((byte)'\n');
        if (newline >= 0)
        {
            var lineEnd = _scanned + newline;
            var line = _buffer.AsSpan(_start, lineEnd - _start);
            _start = _scanned = lineEnd + 1;
            if (_skipping)
            {
                _skipping = false;
                result = new LineReadResult(LineReadKind.TooLarge, []);
                return true;
            }

            result = Complete(line);
            return true;
        }

        _scanned = _end;
        if (_end - _start > _maxLineBytes + 1)
        {
            // Too long already (even allowing for a carriage return) and no newline yet: drop what we have and keep
            // discarding until the newline.
            _skipping = true;
            _start = _scanned = _end = 0;
        }

        if (!_ended)
        {
            result = default;
            return false;
        }

        if (_skipping)
        {
            // The oversized line ends with the stream: the rest of it is dropped too, never read as a line of its own.
            _skipping = false;
            _start = _scanned = _end = 0;
            result = new LineReadResult(LineReadKind.TooLarge, []);
            return true;
        }

        if (_end > _start)
        {
            var rest = _buffer.AsSpan(_start, _end - _start);
            _start = _scanned = _end;
            result = Complete(rest);
            return true;
        }

        result = new LineReadResult(LineReadKind.End, []);
        return true;
    }

    private LineReadResult Complete(ReadOnlySpan<byte> line)
    {
        if (line.Length > 0 && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        return line.Length > _maxLineBytes ? new LineReadResult(LineReadKind.TooLarge, []) : new LineReadResult(LineReadKind.Line, line.ToArray());
    }

    // Room for the next read: the current line moves to the front, and the buffer grows (up to one line's bound plus
    // its CR LF) only while a line that may still be within the bound does not fit.
    private Memory<byte> FreeSpace()
    {
        if (_start > 0)
        {
            var pending = _end - _start;
            _buffer.AsSpan(_start, pending).CopyTo(_buffer);
            _scanned -= _start;
            _end = pending;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            var grown = new byte[(int)Math.Min((long)_buffer.Length * 2, _maxLineBytes + 2L + InitialBufferBytes)];
            _buffer.AsSpan(0, _end).CopyTo(grown);
            _buffer = grown;
        }

        return _buffer.AsMemory(_end);
    }

    private void Filled(int read)
    {
        if (read == 0)
        {
            _ended = true;
        }
        else
        {
            _end += read;
        }
    }
}
