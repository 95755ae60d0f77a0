using Microsoft.Data.Sqlite;

namespace AgentTrust.Storage.Sqlite;

/// <summary>
/// Copies a WAL-mode database's log back into the database file from a background task with its own connection, so
/// that the connection answering requests never does it. SQLite's automatic checkpoint runs inside the commit that
/// crosses its threshold (every ~1000 pages): that one commit then writes back the pages and flushes the disk twice,
/// which made it the slowest registration of every few hundred, by milliseconds.
/// </summary>
/// <remarks>
/// The checkpoints are <c>PASSIVE</c>: they never wait for, nor block, readers and writers of any process. A
/// checkpoint that fails (another process holds the checkpoint lock, say) is retried at the next tick; committed data
/// is never at risk, since it is in the log until copied.
/// </remarks>
internal sealed class SqliteWalCheckpointer : IAsyncDisposable
{
    private readonly SqliteConnection _connection;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _commits;
    private int _disposed;

    private SqliteWalCheckpointer(SqliteConnection connection, TimeSpan interval, TimeProvider timeProvider)
    {
        _connection = connection;
        _loop = RunAsync(interval, timeProvider, _stop.Token);
    }

    /// <summary>Opens a second connection to the database of <paramref name="connectionString"/> and starts checkpointing it.</summary>
    public static async Task<SqliteWalCheckpointer> StartAsync(string connectionString, TimeSpan interval, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return new SqliteWalCheckpointer(connection, interval, timeProvider);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
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

        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped while waiting for the next tick.
        }

        await _connection.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync(TimeSpan interval, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        using var checkpoint = _connection.CreateCommand();
        checkpoint.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
        while (true)
        {
            await Task.Delay(interval, timeProvider, cancellationToken).ConfigureAwait(false);
            if (Interlocked.Exchange(ref _commits, 0) == 0)
            {
                continue;
            }

            try
            {
                checkpoint.ExecuteNonQuery();
            }
            catch (SqliteException)
            {
                // Busy or failing this time: the log keeps the data, and the next tick tries again.
                Interlocked.Increment(ref _commits);
            }
        }
    }
}
