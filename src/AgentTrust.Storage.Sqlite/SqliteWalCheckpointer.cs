using Microsoft.Data.Sqlite;

namespace AgentTrust.Storage.Sqlite;

/// <summary>
/// Copies a WAL-mode database's log back into the database file from a background task with its own connection, so
/// that the connection answering requests never does it. SQLite's automatic checkpoint runs inside the commit that
/// crosses its threshold: that one commit then writes back the pages and flushes the disk twice, which made it the
/// slowest registration of every few hundred, by milliseconds.
/// </summary>
/// <remarks>
/// <para>
/// The checkpoints are <c>PASSIVE</c>: they never wait for, nor block, readers and writers of any process. A checkpoint
/// that fails is retried at the next tick; committed data is never at risk, since it is in the log until copied.
/// </para>
/// <para>
/// The log starts again from its beginning only after a checkpoint has copied all of it, and commits made while a
/// checkpoint runs leave it behind: under a steady stream of registrations it would never catch up and the log would
/// grow without end. So when the log holds more than the catch-up threshold, the next pass holds the store's gate (this
/// process's registrations wait, a few milliseconds) and finishes the copy. SQLite's own automatic checkpoint stays on
/// at a high threshold, as a bound should this task stop.
/// </para>
/// </remarks>
internal sealed class SqliteWalCheckpointer : IAsyncDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _checkpoint;
    private readonly SemaphoreSlim _writers;
    private readonly long _catchUpFrames;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _commits;
    private int _disposed;

    /// <summary>Starts checkpointing through <paramref name="connection"/> (opened, owned from here).</summary>
    /// <param name="connection">A second connection to the store's database.</param>
    /// <param name="writers">The store's gate: held while the log catches up.</param>
    /// <param name="interval">How often to look.</param>
    /// <param name="catchUpFrames">Log frames beyond which a pass holds <paramref name="writers"/> to finish.</param>
    /// <param name="timeProvider">The clock of the interval.</param>
    public SqliteWalCheckpointer(SqliteConnection connection, SemaphoreSlim writers, TimeSpan interval, long catchUpFrames, TimeProvider timeProvider)
    {
        _connection = connection;
        _writers = writers;
        _catchUpFrames = catchUpFrames;
        _checkpoint = connection.CreateCommand();
        _checkpoint.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
        _loop = RunAsync(interval, timeProvider, _stop.Token);
    }

    /// <summary>Says that a commit added to the log since the last checkpoint (no checkpoint runs for an idle log).</summary>
    public void Committed() => Interlocked.Increment(ref _commits);

    /// <summary>Stops the background task and closes its connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped while waiting for the next tick.
        }
        finally
        {
            _checkpoint.Dispose();
            await _connection.DisposeAsync().ConfigureAwait(false);
            _stop.Dispose();
        }
    }

    private async Task RunAsync(TimeSpan interval, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(interval, timeProvider, cancellationToken).ConfigureAwait(false);
            if (Interlocked.Exchange(ref _commits, 0) == 0)
            {
                continue;
            }

            try
            {
                var (log, copied) = Checkpoint();
                if (log >= _catchUpFrames && copied < log)
                {
                    await _writers.WaitAsync(cancellationToken).ConfigureAwait(false);
                    try
                    {
                        Checkpoint();
                    }
                    finally
                    {
                        _writers.Release();
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // Whatever failed, the log keeps the data; the loop must go on (its end would let the log grow).
            catch (Exception)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref _commits);
            }
        }
    }

    // One PASSIVE pass: the frames in the log and how many of them are now in the database file.
    private (long Log, long Copied) Checkpoint()
    {
        using var reader = _checkpoint.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(1), reader.GetInt64(2)) : (0, 0);
    }
}
