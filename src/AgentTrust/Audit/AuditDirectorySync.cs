using System.Runtime.InteropServices;

namespace AgentTrust.Audit;

/// <summary>
/// Makes a directory entry durable. fsync of a new file persists its contents, not its name: on Linux (and other
/// POSIX systems) the directory itself must be fsynced, or a power failure can lose a file whose records were already
/// acknowledged. .NET cannot open a directory as a file, so this calls <c>open</c>/<c>fsync</c>/<c>close</c> directly.
/// On Windows a directory cannot be flushed this way (FlushFileBuffers needs a file handle; NTFS journals the
/// metadata of the create itself), so nothing is done there.
/// </summary>
internal static partial class AuditDirectorySync
{
    private const int ReadOnly = 0;

    /// <summary>fsyncs <paramref name="directory"/>; throws <see cref="IOException"/> when the system reports a failure.</summary>
    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var fd = Open(directory, ReadOnly);
        if (fd < 0)
        {
            throw new IOException($"Cannot open the directory '{directory}' to make a new file durable (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (FSync(fd) != 0)
            {
                throw new IOException($"fsync of the directory '{directory}' failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
