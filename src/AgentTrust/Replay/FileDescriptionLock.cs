using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace AgentTrust.Replay;

/// <summary>
/// Record locks held by one open file description (Linux "OFD" locks, <c>F_OFD_SETLK</c>) on two bytes of a file: byte 0
/// is the exclusive lock of every update, byte 1 a shared lock that each user of the file holds for as long as it has
/// the file open, so that nobody can empty the file under it. They exclude every other description of the file, in this
/// process or another, and the kernel releases them when the holder's description is closed, including when its
/// process dies. Not <c>flock</c>: .NET takes a shared
/// <c>flock</c> on every file it opens for sharing, which would block an exclusive one for good. Not a classic POSIX
/// lock either: those belong to the process, so two descriptions in one process would not exclude each other, and
/// closing any descriptor of the file would drop them.
/// </summary>
internal sealed partial class FileDescriptionLock
{
    private const int OfdSetLock = 37; // F_OFD_SETLK
    private const short ReadLock = 0; // F_RDLCK
    private const short WriteLock = 1; // F_WRLCK
    private const short Unlock = 2; // F_UNLCK
    private const long UpdateByte = 0;
    private const long UseByte = 1;
    private const int TryAgain = 11; // EAGAIN
    private const int AccessDenied = 13; // EACCES
    private const int Interrupted = 4; // EINTR

    private readonly SafeFileHandle _file;

    /// <summary>Locks through <paramref name="file"/> (kept open by its owner for the lifetime of this instance).</summary>
    public FileDescriptionLock(SafeFileHandle file) => _file = file;

    /// <summary>
    /// Takes the update lock, waiting up to <paramref name="timeout"/> while another description holds it (spinning
    /// first: the holders of this lock keep it for microseconds).
    /// </summary>
    /// <returns>True when taken; false when the wait timed out.</returns>
    /// <exception cref="IOException">The system refused the lock for another reason than a holder.</exception>
    public bool TryEnter(TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        var spin = default(SpinWait);
        while (true)
        {
            var error = Set(WriteLock, UpdateByte);
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

    /// <summary>Releases the update lock.</summary>
    public void Exit() => Check(Set(Unlock, UpdateByte), "released");

    /// <summary>Marks this description as a user of the file until it is closed (a shared lock on the use byte).</summary>
    /// <exception cref="IOException">Another description is emptying the file.</exception>
    public void HoldUse() => Check(Set(ReadLock, UseByte), "marked in use");

    /// <summary>True when no other description uses the file (the use byte can be had exclusively), now.</summary>
    public bool NobodyElseUses()
    {
        if (Set(WriteLock, UseByte) != 0)
        {
            return false;
        }

        Check(Set(Unlock, UseByte), "released");
        return true;
    }

    private static void Check(int error, string what)
    {
        if (error != 0)
        {
            throw new IOException($"The replay table's lock could not be {what} (errno {error}).");
        }
    }

    private int Set(short type, long at)
    {
        var record = new LockRecord { Type = type, Whence = 0, Start = at, Length = 1, Pid = 0 };
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
    // l_pid; l_pid must be 0 for an OFD lock.
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
