using AgentTrust.Authority.Storage;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Authority;

[Collection(PostgresServer.CollectionName)]
public sealed class PostgresAuthorityRepositoryTests(PostgresServer server) : AuthorityRepositoryContract
{
    // One database for the class, one schema per test: a real server, cheap isolation.
    protected override async Task<string> CreateLocationAsync() =>
        await server.CreateSchemaAsync(await server.SharedDatabaseAsync(nameof(PostgresAuthorityRepositoryTests)), "ta");

    protected override IAuthorityRepository Open(string location) => new PostgresAuthorityRepository(location);
}
