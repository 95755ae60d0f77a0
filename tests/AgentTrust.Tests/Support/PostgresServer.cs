namespace AgentTrust.Tests.Support;

/// <summary>
/// The xunit collection fixture giving tests a real PostgreSQL server, started once for the whole collection.
/// Use it with <c>[Collection(PostgresServer.CollectionName)]</c> and a constructor parameter, then
/// <see cref="CreateDatabaseAsync"/> for an empty database of your own. When the PostgreSQL binaries are missing
/// the fixture fails (with a message naming scripts/setup.sh), so the tests fail rather than skip.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string CollectionName = "PostgreSQL server";

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<string>>> _shared = new(StringComparer.Ordinal);
    private TemporaryPostgresServer? _server;

    public int Port => Server.Port;

    private TemporaryPostgresServer Server => _server ?? throw new InvalidOperationException("The PostgreSQL server is not started.");

    public async Task InitializeAsync() => _server = await TemporaryPostgresServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>Creates an empty database (name derived from <paramref name="prefix"/>) and returns its connection string.</summary>
    public Task<string> CreateDatabaseAsync(string prefix) => Server.CreateDatabaseAsync(prefix);

    /// <summary>
    /// The database named by <paramref name="key"/>, created on first use and then shared: xunit makes a new test
    /// class instance per test, so a test class that wants one database for all its tests asks with its own name.
    /// </summary>
    public Task<string> SharedDatabaseAsync(string key) =>
        _shared.GetOrAdd(key, k => new Lazy<Task<string>>(() => Server.CreateDatabaseAsync(k))).Value;

    /// <summary>Creates an empty schema in an existing database; returns a connection string whose search path is that schema.</summary>
    public Task<string> CreateSchemaAsync(string databaseConnectionString, string prefix) => Server.CreateSchemaAsync(databaseConnectionString, prefix);

    /// <summary>The connection string of an existing database.</summary>
    public string ConnectionString(string database) => Server.ConnectionString(database);
}

[CollectionDefinition(PostgresServer.CollectionName)]
public sealed class PostgresServerCollection : ICollectionFixture<PostgresServer>
{
}
