using Npgsql;

namespace AgentTrust.Storage.PostgreSql;

/// <summary>
/// Brings one component's tables in a PostgreSQL database up to date on open. Versions are recorded per component in
/// <c>agenttrust_schema_versions</c>; the whole upgrade runs in one transaction under a transaction-scoped advisory
/// lock, so several processes opening the database at once apply each step exactly once.
/// </summary>
public static class PostgresSchemaMigrator
{
    // Arbitrary constant naming "AgentTrust schema migrations" among advisory locks.
    private const long AdvisoryLockKey = 0x4167_5472_7573_7401;

    /// <summary>
    /// Applies the migrations of <paramref name="component"/> that the database has not seen yet. Migration
    /// <c>i</c> (zero-based) brings the schema to version <c>i + 1</c>. A database at a newer version than the code
    /// knows is refused rather than used.
    /// </summary>
    /// <param name="dataSource">Where the database is.</param>
    /// <param name="component">The component name (for example <c>replay</c>).</param>
    /// <param name="migrations">The SQL of each version, in order.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The schema version the database is at afterwards.</returns>
    /// <exception cref="InvalidOperationException">The database was written by a newer version of the schema.</exception>
    public static async Task<int> ApplyAsync(NpgsqlDataSource dataSource, string component, IReadOnlyList<string> migrations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentException.ThrowIfNullOrEmpty(component);
        ArgumentNullException.ThrowIfNull(migrations);

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = new NpgsqlCommand(
            """
            SELECT pg_advisory_xact_lock(@key);
            CREATE TABLE IF NOT EXISTS agenttrust_schema_versions (
                component text NOT NULL,
                version integer NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (component, version)
            );
            """, connection, transaction))
        {
            command.Parameters.AddWithValue("key", AdvisoryLockKey);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        int current;
        await using (var query = new NpgsqlCommand(
            "SELECT COALESCE(MAX(version), 0) FROM agenttrust_schema_versions WHERE component = @component", connection, transaction))
        {
            query.Parameters.AddWithValue("component", component);
            current = (int)(await query.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        if (current > migrations.Count)
        {
            throw new InvalidOperationException(
                $"The database's '{component}' schema is at version {current}, newer than this build knows ({migrations.Count}); refusing to use it.");
        }

        for (var version = current + 1; version <= migrations.Count; version++)
        {
#pragma warning disable CA2100 // Constant SQL from the calling assembly's migrations, never user input.
            await using (var migrate = new NpgsqlCommand(migrations[version - 1], connection, transaction))
#pragma warning restore CA2100
            {
                await migrate.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using var record = new NpgsqlCommand(
                "INSERT INTO agenttrust_schema_versions (component, version) VALUES (@component, @version)", connection, transaction);
            record.Parameters.AddWithValue("component", component);
            record.Parameters.AddWithValue("version", version);
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return migrations.Count;
    }
}
