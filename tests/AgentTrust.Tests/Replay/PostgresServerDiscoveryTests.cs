using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Replay;

public sealed class PostgresServerDiscoveryTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new("agenttrust-pg-discovery-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Missing_binaries_fail_with_instructions_instead_of_skipping()
    {
        var exception = Assert.Throws<InvalidOperationException>(
            () => TemporaryPostgresServer.FindBinDirectory(_directory.File("nowhere"), _directory.File("no-postgresql")));
        Assert.Contains("scripts/setup.sh", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_newest_installed_version_is_found_when_PATH_has_none()
    {
        foreach (var version in new[] { "13", "15", "9" })
        {
            var bin = Directory.CreateDirectory(Path.Combine(_directory.Path, "lib", version, "bin")).FullName;
            File.WriteAllText(Path.Combine(bin, "initdb"), "");
            File.WriteAllText(Path.Combine(bin, "pg_ctl"), "");
        }

        Assert.Equal(Path.Combine(_directory.Path, "lib", "15", "bin"), TemporaryPostgresServer.FindBinDirectory("", Path.Combine(_directory.Path, "lib")));
    }

    [Fact]
    public void PATH_wins_over_the_installed_versions()
    {
        var onPath = Directory.CreateDirectory(_directory.File("path-bin")).FullName;
        File.WriteAllText(Path.Combine(onPath, "initdb"), "");
        File.WriteAllText(Path.Combine(onPath, "pg_ctl"), "");
        Assert.Equal(onPath, TemporaryPostgresServer.FindBinDirectory($"{_directory.File("empty")}{Path.PathSeparator}{onPath}", _directory.File("none")));
    }
}
