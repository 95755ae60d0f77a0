using System.Buffers;
using System.IO.Pipelines;

namespace AgentTrust.Gateway.Framing;

/// <summary>
/// Reads newline-delimited messages (MCP stdio framing) with a per-line size bound enforced before anything is
/// parsed: an oversized line is skipped as it streams in (never accumulated in memory) and reported as
/// <see cref="LineReadKind.TooLarge"/>.
/// </summary>
public sealed class JsonLineReader : IAsyncDisposable
{
    private readonly PipeReader _reader;
    private readonly int _maxLineBytes;
    private bool _ended;

    /// <summary>Creates a reader over <paramref name="stream"/>; <paramref name="maxLineBytes"/> bounds one line without its newline.</summary>
    public JsonLineReader(Stream stream, int maxLineBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 1);
        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096, leaveOpen: true));
        _maxLineBytes = maxLineBytes;
    }

    /// <summary>Reads the next line; a final line without a newline is returned at end of stream.</summary>
    public async ValueTask<LineReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var skipping = false;
        while (!_ended)
        {
            var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var newline = buffer.PositionOf((byte)'\n');
            if (newline is { } position)
            {
                var line = buffer.Slice(0, position);
                var consumed = buffer.GetPosition(1, position);
                if (skipping || line.Length > _maxLineBytes + 1)
                {
                    _reader.AdvanceTo(consumed);
                    return new LineReadResult(LineReadKind.TooLarge, []);
                }

                var bytes = ToLine(line);
                _reader.AdvanceTo(consumed);
                if (bytes.Length > _maxLineBytes)
                {
                    return new LineReadResult(LineReadKind.TooLarge, []);
                }

                return new LineReadResult(LineReadKind.Line, bytes);
            }

            if (buffer.Length > _maxLineBytes + 1)
            {
                // Too long already and no newline yet: drop what we have and keep discarding until the newline.
                skipping = true;
                _reader.AdvanceTo(buffer.End);
            }
            else
            {
                _reader.AdvanceTo(buffer.Start, buffer.End);
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                _ended = true;
                if (skipping)
                {
                    return new LineReadResult(LineReadKind.TooLarge, []);
                }

                if (!buffer.IsEmpty)
                {
                    var rest = ToLine(buffer);
                    return rest.Length > _maxLineBytes ? new LineReadResult(LineReadKind.TooLarge, []) : new LineReadResult(LineReadKind.Line, rest);
                }
            }
        }

        return new LineReadResult(LineReadKind.End, []);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await _reader.CompleteAsync().ConfigureAwait(false);

    private static byte[] ToLine(ReadOnlySequence<byte> line)
    {
        var length = line.Length;
        if (length > 0)
        {
            var last = line.Slice(length - 1).FirstSpan[0];
            if (last == (byte)'\r')
            {
                line = line.Slice(0, length - 1);
            }
        }

        return line.ToArray();
    }
}
