using AgentTrust.Tests.Gateway.Support;
using Microsoft.Data.Sqlite;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// Which SQLite mode the gateway opens its replay store in: the default file keeps the restart fence (it records this
/// machine's boot id); <c>sqlite:PATH</c> flushes every commit and records none.
/// </summary>
public sealed class GatewayReplayStoreModeTests
{
    private static async Task<long> MetaRowsWithThisBootAsync(string path)
    {
        var bootId = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False;Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM replay_meta WHERE boot_id = $boot";
        command.Parameters.AddWithValue("$boot", bootId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task RunOnceAsync(ScratchDirectory scratch, params string[] gatewayArgs)
    {
        await using var gateway = new RawGatewayProcess(["--no-pins", .. gatewayArgs], ["node", GatewayPeers.RecordingServer],
            new Dictionary<string, string> { ["RECEIVED_LOG"] = scratch.File("received.jsonl"), ["AGENTTRUST_HOME"] = scratch.File("home") });
        await gateway.InitializeAsync();
    }

    [Fact]
    public async Task The_default_store_keeps_the_restart_fence_and_sqlite_PATH_does_not()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // no boot id: both modes flush every commit
        }

        using var scratch = new ScratchDirectory();
        await RunOnceAsync(scratch);
        var explicitPath = scratch.File("durable.db");
        await RunOnceAsync(scratch, "--replay-store", "sqlite:" + explicitPath);
        SqliteConnection.ClearAllPools();

        Assert.Equal(1, await MetaRowsWithThisBootAsync(Path.Combine(scratch.File("home"), "gateway", "replay.db")));
        Assert.Equal(0, await MetaRowsWithThisBootAsync(explicitPath));
    }
}
