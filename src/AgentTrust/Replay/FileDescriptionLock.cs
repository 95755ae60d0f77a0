using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace AgentTrust.Replay;

/// <summary>
/// An exclusive lock on a whole file, held by one open file description (Linux "OFD" record lock, <c>F_OFD_SETLK</c>):
/// it excludes every other description of the file, in this process or another, and the kernel releases it when the
/// holder's description is closed, including when its process dies. Not <c>flock</c>: .NET takes a shared
/// <c>flock</c> on every file it opens for sharing, which would block an exclusive one for good. Not a classic POSIX
/// lock either: those belong to the process, so two descriptions in one process would not exclude each other, and
/// closing any descriptor of the file would drop them.
/// </summary>
internal sealed partial class FileDescriptionLock
{
    private const int OfdSetLock = 37; // F_OFD_SETLK
    private const short WriteLock = 1; // F_WRLCK
    private const short Unlock = 2; // F_UNLCK
    private const int TryAgain = 11; // EAGAIN
    private const int AccessDenied = 13; // EACCES
    private const int Interrupted = 4; // EINTR

    private readonly SafeFileHandle _file;

    /// <summary>Locks through <paramref name="file"/> (kept open by its owner for the lifetime of this instance).</summary>
    public FileDescriptionLock(SafeFileHandle file) => _file = file;

    /// <summary>
    /// Takes the lock, waiting up to <paramref name="timeout"/> while another description holds it (spinning first: the
    /// holders of this lock keep it for microseconds).
    /// </summary>
    /// <returns>True when taken; false when the wait timed out.</returns>
    /// <exception cref="IOException">The system refused the lock for another reason than a holder.</exception>
    public bool TryEnter(TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        var spin = default(SpinWait);
        while (true)
        {
            var error = Set(WriteLock);
            if (error == 0)
            {
                return true;
            }

            if (error is not (TryAgain or AccessDenied or Interrupted))
            {
                throw new IOException($"The replay table's lock could not be taken (errno {error}).");
            }

            if (Stopwatch.GetElapsedTime(started) >= timeout)
            {
                return false;
            }

            spin.SpinOnce(sleep1Threshold: 64);
        }
    }

    /// <summary>Releases the lock.</summary>
    public void Exit()
    {
        var error = Set(Unlock);
        if (error != 0)
        {
            throw new IOException($"The replay table's lock could not be released (errno {error}).");
        }
    }

    private int Set(short type)
    {
        var record = new LockRecord { Type = type, Whence = 0, Start = 0, Length = 0, Pid = 0 };
        var added = false;
        try
        {
            _file.DangerousAddRef(ref added);
            return Fcntl((int)_file.DangerousGetHandle(), OfdSetLock, ref record) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
        finally
        {
            if (added)
            {
                _file.DangerousRelease();
            }
        }
    }

    // struct flock of Linux (glibc, x86-64 and arm64): short l_type, short l_whence, off_t l_start, off_t l_len, pid_t
    // l_pid. Length 0 locks the whole file, however long it grows; l_pid must be 0 for an OFD lock.
    [StructLayout(LayoutKind.Sequential)]
    private struct LockRecord
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Length;
        public int Pid;
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, ref LockRecord record);
}
