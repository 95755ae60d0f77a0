using AgentTrust.Authority.Storage;
using AgentTrust.Tests.Support;
using Microsoft.Data.Sqlite;

namespace AgentTrust.Tests.Authority;

public sealed class SqliteAuthorityRepositoryTests : AuthorityRepositoryContract, IDisposable
{
    private readonly TemporaryDirectory _directory = new("agenttrust-ta-");
    private int _files;

    protected override Task<string> CreateLocationAsync() =>
        Task.FromResult(_directory.File($"registry-{Interlocked.Increment(ref _files)}.db"));

    protected override IAuthorityRepository Open(string location) => new SqliteAuthorityRepository(location);

    [Fact]
    public async Task The_registry_runs_in_WAL_mode()
    {
        var path = await CreateLocationAsync();
        await using var repository = Open(path);
        await repository.MigrateAsync(CancellationToken.None);
        await using var connection = new SqliteConnection($"Data Source={path}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }
}
