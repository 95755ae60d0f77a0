namespace AgentTrust.Audit;

/// <summary>
/// The single lock of a log directory (<c>audit/.lock</c>), held across "read tail, compute, append, fsync" so that
/// writers in several processes never fork the chain. On Unix .NET maps <see cref="FileShare.None"/> to an exclusive
/// <c>flock</c>, which the kernel releases when the holder dies, so a crashed writer never leaves the log locked.
/// </summary>
internal sealed class AuditDirectoryLock : IDisposable
{
    private readonly FileStream _stream;

    private AuditDirectoryLock(FileStream stream) => _stream = stream;

    public static async ValueTask<AuditDirectoryLock> AcquireAsync(string directory, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, ".lock");
        var spins = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return new AuditDirectoryLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None));
            }
            catch (IOException) when (File.Exists(path))
            {
                // Held by another writer: spin briefly, then back off.
                if (++spins < 20)
                {
                    Thread.Yield();
                }
                else
                {
                    await Task.Delay(1, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
