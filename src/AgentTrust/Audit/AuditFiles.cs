namespace AgentTrust.Audit;

/// <summary>File-level helpers: the chain's files in order, line counting, reading the head and tail of the chain.</summary>
internal static class AuditFiles
{
    private const int Chunk = 1 << 20;

    /// <summary>The <c>*.jsonl</c> files of a directory in ascending ordinal name order (Signet's walk order).</summary>
    public static IReadOnlyList<string> List(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return [];
        }

        var files = Directory.GetFiles(directory, "*.jsonl", SearchOption.TopDirectoryOnly)
            .Where(f => f.EndsWith(".jsonl", StringComparison.Ordinal))
            .ToArray();
        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }

    /// <summary>The number of non-empty newline-terminated lines: the records, as the chain walk counts them (blank lines are skipped).</summary>
    public static long CountLines(string file)
    {
        using var handle = File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var buffer = new byte[Chunk];
        long offset = 0;
        long count = 0;
        var previous = (byte)'\n';
        int read;
        while ((read = RandomAccess.Read(handle, buffer, offset)) > 0)
        {
            var span = buffer.AsSpan(0, read);
            count += span.Count((byte)'\n') - EmptyLines(span, previous);
            previous = span[^1];
            offset += read;
        }

        return count;
    }

    /// <summary>Newlines in <paramref name="span"/> that end an empty line (preceded by a newline, or first in the file).</summary>
    private static int EmptyLines(ReadOnlySpan<byte> span, byte previous)
    {
        var empty = span[0] == (byte)'\n' && previous == (byte)'\n' ? 1 : 0;
        var at = 0;
        int index;
        while ((index = span[at..].IndexOf("\n\n"u8)) >= 0)
        {
            empty++;
            at += index + 1;
        }

        return empty;
    }

    /// <summary>The bytes of a file from <paramref name="offset"/> to its end.</summary>
    public static byte[] ReadFrom(string file, long offset)
    {
        using var handle = File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var length = RandomAccess.GetLength(handle) - offset;
        if (length <= 0)
        {
            return [];
        }

        var bytes = new byte[length];
        var done = 0;
        while (done < bytes.Length)
        {
            var read = RandomAccess.Read(handle, bytes.AsSpan(done), offset + done);
            if (read == 0)
            {
                Array.Resize(ref bytes, done);
                break;
            }

            done += read;
        }

        return bytes;
    }

    /// <summary>The offset just after the last newline at or after <paramref name="floor"/> (or <paramref name="floor"/> if none).</summary>
    public static long EndOfLastCompleteLine(string file, long floor)
    {
        using var handle = File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var end = RandomAccess.GetLength(handle);
        var buffer = new byte[64 * 1024];
        while (end > floor)
        {
            var start = Math.Max(floor, end - buffer.Length);
            var span = buffer.AsSpan(0, (int)(end - start));
            RandomAccess.Read(handle, span, start);
            var index = span.LastIndexOf((byte)'\n');
            if (index >= 0)
            {
                return start + index + 1;
            }

            end = start;
        }

        return floor;
    }

    /// <summary>The last <paramref name="count"/> non-empty lines of the chain, oldest first, with their files.</summary>
    public static List<(string File, byte[] Line)> LastLines(IReadOnlyList<string> files, int count)
    {
        var result = new List<(string, byte[])>();
        for (var f = files.Count - 1; f >= 0 && result.Count < count; f--)
        {
            var lines = TailLines(files[f], count - result.Count);
            for (var i = 0; i < lines.Count; i++)
            {
                result.Insert(0, (files[f], lines[i]));
            }
        }

        return result;
    }

    /// <summary>The first non-empty line of the chain.</summary>
    public static (string File, byte[] Line)? FirstLine(IReadOnlyList<string> files)
    {
        foreach (var file in files)
        {
            using var handle = File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var length = RandomAccess.GetLength(handle);
            var size = (int)Math.Min(length, 64 * 1024);
            while (size > 0)
            {
                var buffer = new byte[size];
                var read = RandomAccess.Read(handle, buffer, 0);
                var span = buffer.AsSpan(0, read);
                var start = 0;
                while (start < span.Length && span[start] == (byte)'\n')
                {
                    start++;
                }

                var newline = span[start..].IndexOf((byte)'\n');
                if (newline >= 0)
                {
                    return (file, span.Slice(start, newline).ToArray());
                }

                if (size >= length)
                {
                    break;
                }

                size = (int)Math.Min(length, (long)size * 4);
            }
        }

        return null;
    }

    private static List<byte[]> TailLines(string file, int count)
    {
        using var handle = File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var length = RandomAccess.GetLength(handle);
        long size = Math.Min(length, 64 * 1024);
        while (true)
        {
            var buffer = new byte[size];
            RandomAccess.Read(handle, buffer, length - size);
            var lines = new List<byte[]>();
            var span = buffer.AsSpan();
            if (span.Length > 0 && span[^1] == (byte)'\n')
            {
                span = span[..^1];
            }

            while (lines.Count < count)
            {
                var index = span.LastIndexOf((byte)'\n');
                if (index < 0)
                {
                    if (size == length && span.Length > 0)
                    {
                        lines.Add(span.ToArray());
                    }

                    break;
                }

                if (index < span.Length - 1)
                {
                    lines.Add(span[(index + 1)..].ToArray());
                }

                span = span[..index];
            }

            if (lines.Count >= count || size == length)
            {
                return lines;
            }

            size = Math.Min(length, size * 4);
        }
    }
}
