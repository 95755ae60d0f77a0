namespace AgentTrust.Cli.Commands.Canon;

/// <summary>Reads a file or standard input, never more than the limit allows.</summary>
internal static class BoundedInput
{
    /// <summary>Reads all of <paramref name="path"/> ('-' for standard input).</summary>
    /// <returns>The bytes, or null when the input is larger than <paramref name="maxBytes"/>.</returns>
    /// <exception cref="CliFailure">The file is missing or unreadable (exit 3).</exception>
    public static async Task<ReadOnlyMemory<byte>?> ReadAsync(CliContext context, string path, int maxBytes, CancellationToken cancellationToken)
    {
        if (path == "-")
        {
            return await ReadBoundedAsync(context.StandardInput, maxBytes, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await using (stream.ConfigureAwait(false))
            {
                if (stream.CanSeek && stream.Length > maxBytes)
                {
                    return null;
                }

                var expected = stream.CanSeek ? (int)stream.Length : 0;
                return await ReadBoundedAsync(stream, maxBytes, cancellationToken, expected).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException or NotSupportedException or ArgumentException)
        {
            throw CliFailure.Environment("AT-ENV-FILE", $"cannot read '{path}': {e.Message}");
        }
    }

    private static async Task<ReadOnlyMemory<byte>?> ReadBoundedAsync(Stream stream, int maxBytes, CancellationToken cancellationToken, int expectedLength = 0)
    {
        // One byte more than expected, so reaching the end needs no resize.
        var buffer = new byte[Math.Min(maxBytes + 1, Math.Max(expectedLength + 1, 64 * 1024))];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (length > maxBytes)
                {
                    return null;
                }

                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, (long)maxBytes + 1));
            }

            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            length += read;
        }

        if (length > maxBytes)
        {
            return null;
        }

        return buffer.AsMemory(0, length);
    }
}
