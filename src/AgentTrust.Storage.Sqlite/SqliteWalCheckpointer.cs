using Microsoft.Data.Sqlite;

namespace AgentTrust.Storage.Sqlite;

/// <summary>
/// Copies a WAL-mode database's log back into the database file from a background thread with its own connection, so
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
/// The log starts again from its beginning only in a transaction that begins after a checkpoint has copied all of it;
/// under a steady stream of registrations one is always under way (or commits during the copy), so the log would grow
/// until SQLite's own bound. So when the log holds more than the catch-up threshold after a pass, the next pass holds
/// the store's gate (this process's registrations wait, a few milliseconds) and finishes the copy, and the next
/// registration starts the log again. SQLite's own automatic checkpoint stays on at a higher threshold, so the log stays
/// bounded when this thread gets no processor for a while (a loaded machine) or stops.
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
        _loop = Start(interval, timeProvider, _stop.Token);
    }

    /// <summary>Says that a commit added to the log since the last checkpoint (no checkpoint runs for an idle log).</summary>
    public void Committed() => Interlocked.Increment(ref _commits);

    /// <summary>Stops the background thread and closes its connection.</summary>
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

    // Runs on its own thread: a thread-pool timer's continuation waited for most of a second in a busy test host (every
    // pool thread taken) while registrations from other threads grew the log by thousands of frames.
    private Task Start(TimeSpan interval, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Run(interval, timeProvider, cancellationToken);
                stopped.SetResult();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                stopped.SetResult();
            }
#pragma warning disable CA1031 // Reported through the task the store awaits when it closes.
            catch (Exception e)
#pragma warning restore CA1031
            {
                stopped.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "AgentTrust replay-store checkpoint",
        };
        thread.Start();
        return stopped.Task;
    }

    private void Run(TimeSpan interval, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        while (!Wait(interval, timeProvider, cancellationToken))
        {
            if (Interlocked.Exchange(ref _commits, 0) == 0)
            {
                continue;
            }

            try
            {
                // Even a pass that copied the whole log leaves it growing when a registration was under way: the log starts
                // again only in a transaction that begins after a complete copy. So a large log is caught up under the gate.
                if (Checkpoint() >= _catchUpFrames)
                {
                    // Queued as an asynchronous waiter: Release hands the gate to those directly, while a synchronous
                    // waiter would lose it to the next registration every time. Without a token: with one, the wait
                    // completes through a thread-pool continuation, and a starved pool would hold the gate unused. (The
                    // wait is short: the store is only closed after this thread has stopped.)
                    _writers.WaitAsync().GetAwaiter().GetResult();
                    try
                    {
                        cancellationToken.ThrowIfCancellationRequested();
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
                return;
            }
#pragma warning disable CA1031 // Whatever failed, the log keeps the data; the loop must go on (its end would let the log grow).
            catch (Exception)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref _commits);
            }
        }
    }

    // Waits one interval; true when stopped. The system clock is waited on here; another clock's timers decide.
    private static bool Wait(TimeSpan interval, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        if (timeProvider == TimeProvider.System)
        {
            return cancellationToken.WaitHandle.WaitOne(interval);
        }

        try
        {
            Task.Delay(interval, timeProvider, cancellationToken).GetAwaiter().GetResult();
            return false;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return true;
        }
    }

    // One PASSIVE pass; returns the frames in the log.
    private long Checkpoint()
    {
        using var reader = _checkpoint.ExecuteReader();
        return reader.Read() ? reader.GetInt64(1) : 0;
    }
}
