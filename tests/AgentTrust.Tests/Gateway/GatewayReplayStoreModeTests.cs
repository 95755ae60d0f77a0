using AgentTrust.Replay;
using AgentTrust.Tests.Gateway.Support;
using Microsoft.Data.Sqlite;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// Which replay store the gateway opens: by default a mapped table per side (restart fence kept in the table);
/// <c>sqlite-fenced:PATH</c> records this machine's boot id for its fence; <c>sqlite:PATH</c> flushes every commit and
/// records none.
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
    public async Task The_default_store_is_a_mapped_table_and_the_SQLite_modes_keep_their_fences()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // no boot id: the default is sqlite-fenced, which flushes every commit there
        }

        using var scratch = new ScratchDirectory();
        await RunOnceAsync(scratch);
        var fencedPath = scratch.File("fenced.db");
        await RunOnceAsync(scratch, "--replay-store", "sqlite-fenced:" + fencedPath);
        var explicitPath = scratch.File("durable.db");
        await RunOnceAsync(scratch, "--replay-store", "sqlite:" + explicitPath);
        SqliteConnection.ClearAllPools();

        var gatewayDirectory = Path.Combine(scratch.File("home"), "gateway");
        using (var table = MappedReplayStore.Open(new MappedReplayStoreOptions { FilePath = Path.Combine(gatewayDirectory, "replay.map") }))
        {
            Assert.Null(table.RestartFence); // a first installation has nothing to fence
        }

        Assert.False(File.Exists(Path.Combine(gatewayDirectory, "replay.db")));
        Assert.Equal(1, await MetaRowsWithThisBootAsync(fencedPath));
        Assert.Equal(0, await MetaRowsWithThisBootAsync(explicitPath));
    }

    [Fact]
    public async Task An_installation_with_an_earlier_versions_SQLite_file_keeps_using_it()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // Its gateways may still be running after the upgrade, registering in replay.db: a table beside it would accept
        // their messages a second time.
        using var scratch = new ScratchDirectory();
        var gatewayDirectory = Path.Combine(scratch.File("home"), "gateway");
        Directory.CreateDirectory(gatewayDirectory);
        var legacy = Path.Combine(gatewayDirectory, "replay.db");
        await File.WriteAllBytesAsync(legacy, []);
        await RunOnceAsync(scratch);
        SqliteConnection.ClearAllPools();

        Assert.False(File.Exists(Path.Combine(gatewayDirectory, "replay.map")));
        Assert.Equal(1, await MetaRowsWithThisBootAsync(legacy));
    }

    [Fact]
    public async Task Once_a_side_has_a_table_every_process_of_that_side_uses_it()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // Even with a SQLite file of an earlier version beside it: two stores for one side would let a replay through.
        using var scratch = new ScratchDirectory();
        await RunOnceAsync(scratch);
        var gatewayDirectory = Path.Combine(scratch.File("home"), "gateway");
        await File.WriteAllBytesAsync(Path.Combine(gatewayDirectory, "replay.db"), []);
        using (var table = MappedReplayStore.Open(new MappedReplayStoreOptions { FilePath = Path.Combine(gatewayDirectory, "replay.map") }))
        {
            Assert.Equal(ReplayCheckResult.Accepted, await table.TryRegisterAsync("asp_probe", "n1", DateTimeOffset.UtcNow.AddMinutes(5)));
        }

        await RunOnceAsync(scratch);
        using var after = MappedReplayStore.Open(new MappedReplayStoreOptions { FilePath = Path.Combine(gatewayDirectory, "replay.map") });
        Assert.Equal(ReplayCheckResult.Replayed, await after.TryRegisterAsync("asp_probe", "n1", DateTimeOffset.UtcNow.AddMinutes(5)));
        Assert.Equal(0, new FileInfo(Path.Combine(gatewayDirectory, "replay.db")).Length);
    }

    [Fact]
    public async Task The_agent_side_has_its_own_default_file()
    {
        // The two sides never register the same values, so each has its own table and never waits for the other's lock.
        using var scratch = new ScratchDirectory();
        var home = scratch.File("home");
        using var agent = GatewayPeers.Start("dotnet", [GatewayPeers.AgentTrustDll, "agent-proxy", "--key", "agent", "--no-pins", "--", "node", GatewayPeers.RecordingServer],
            new Dictionary<string, string> { ["RECEIVED_LOG"] = scratch.File("received.jsonl"), ["AGENTTRUST_HOME"] = home });
        var agentFile = Path.Combine(home, "gateway", OperatingSystem.IsLinux() ? "agent-replay.map" : "agent-replay.db");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!File.Exists(agentFile) && !agent.HasExited && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        agent.StandardInput.Close();
        using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await agent.WaitForExitAsync(exit.Token);

        Assert.True(File.Exists(agentFile), await agent.StandardError.ReadToEndAsync());
        Assert.False(File.Exists(Path.Combine(home, "gateway", OperatingSystem.IsLinux() ? "replay.map" : "replay.db")));
    }
}
