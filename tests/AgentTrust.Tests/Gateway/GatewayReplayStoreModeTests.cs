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

    [Fact]
    public async Task The_agent_side_has_its_own_default_file()
    {
        // The two sides never register the same values; one file for both made each process's SQLite cache stale after
        // every message of the other.
        using var scratch = new ScratchDirectory();
        var home = scratch.File("home");
        using var agent = GatewayPeers.Start("dotnet", [GatewayPeers.AgentTrustDll, "agent-proxy", "--key", "agent", "--no-pins", "--", "node", GatewayPeers.RecordingServer],
            new Dictionary<string, string> { ["RECEIVED_LOG"] = scratch.File("received.jsonl"), ["AGENTTRUST_HOME"] = home });
        var agentFile = Path.Combine(home, "gateway", "agent-replay.db");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!File.Exists(agentFile) && !agent.HasExited && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        agent.StandardInput.Close();
        using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await agent.WaitForExitAsync(exit.Token);

        Assert.True(File.Exists(agentFile), await agent.StandardError.ReadToEndAsync());
        Assert.False(File.Exists(Path.Combine(home, "gateway", "replay.db")));
    }
}
