using System.Globalization;
using Microsoft.Data.Sqlite;

namespace AgentTrust.Storage.Sqlite;

/// <summary>
/// Brings one component's tables in a SQLite file up to date on open. Versions are recorded per component in
/// <c>agenttrust_schema_versions</c>, so several stores can share one file. Migrations run in one
/// <c>BEGIN IMMEDIATE</c> transaction, so two processes opening the same file at once apply each step once.
/// </summary>
public static class SqliteSchemaMigrator
{
    /// <summary>
    /// Applies the migrations of <paramref name="component"/> that the file has not seen yet. Migration <c>i</c>
    /// (zero-based) brings the schema to version <c>i + 1</c>. A file at a newer version than the code knows is
    /// refused rather than used.
    /// </summary>
    /// <param name="connection">An open connection.</param>
    /// <param name="component">The component name (for example <c>replay</c>).</param>
    /// <param name="migrations">The SQL of each version, in order.</param>
    /// <param name="timeProvider">The clock stamping applied versions.</param>
    /// <param name="thenInTransaction">Runs after the migrations, in the same transaction, with the version the file
    /// was at before them (0 for a file whose component tables this call created); null for nothing.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The schema version the file is at afterwards.</returns>
    /// <exception cref="InvalidOperationException">The file was written by a newer version of the schema.</exception>
    public static async Task<int> ApplyAsync(SqliteConnection connection, string component, IReadOnlyList<string> migrations, TimeProvider timeProvider, Func<int, CancellationToken, Task>? thenInTransaction = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentException.ThrowIfNullOrEmpty(component);
        ArgumentNullException.ThrowIfNull(migrations);
        ArgumentNullException.ThrowIfNull(timeProvider);

        await ExecuteAsync(connection, "BEGIN IMMEDIATE", cancellationToken).ConfigureAwait(false);
        var committed = false;
        try
        {
            await ExecuteAsync(connection, """
                CREATE TABLE IF NOT EXISTS agenttrust_schema_versions (
                    component TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    applied_at TEXT NOT NULL,
                    PRIMARY KEY (component, version)
                ) WITHOUT ROWID
                """, cancellationToken).ConfigureAwait(false);

            int current;
            using (var query = connection.CreateCommand())
            {
                query.CommandText = "SELECT COALESCE(MAX(version), 0) FROM agenttrust_schema_versions WHERE component = $component";
                query.Parameters.AddWithValue("$component", component);
                current = Convert.ToInt32(await query.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
            }

            if (current > migrations.Count)
            {
                throw new InvalidOperationException(
                    $"The database's '{component}' schema is at version {current}, newer than this build knows ({migrations.Count}); refusing to use it.");
            }

            for (var version = current + 1; version <= migrations.Count; version++)
            {
                await ExecuteAsync(connection, migrations[version - 1], cancellationToken).ConfigureAwait(false);
                using var record = connection.CreateCommand();
                record.CommandText = "INSERT INTO agenttrust_schema_versions (component, version, applied_at) VALUES ($component, $version, $at)";
                record.Parameters.AddWithValue("$component", component);
                record.Parameters.AddWithValue("$version", version);
                record.Parameters.AddWithValue("$at", timeProvider.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            if (thenInTransaction is not null)
            {
                await thenInTransaction(current, cancellationToken).ConfigureAwait(false);
            }

            await ExecuteAsync(connection, "COMMIT", cancellationToken).ConfigureAwait(false);
            committed = true;
            return migrations.Count;
        }
        finally
        {
            if (!committed)
            {
                await ExecuteAsync(connection, "ROLLBACK", CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
#pragma warning disable CA2100 // Constant SQL from this assembly's migrations, never user input.
        command.CommandText = sql;
#pragma warning restore CA2100
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
