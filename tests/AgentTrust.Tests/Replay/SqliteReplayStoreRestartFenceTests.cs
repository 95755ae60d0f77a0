using AgentTrust.Attestation;
using AgentTrust.Errors;
using AgentTrust.Mcps;
using AgentTrust.Mcps.Replay;
using AgentTrust.Replay;
using AgentTrust.Storage.Sqlite;
using AgentTrust.Tests.Attestation;
using AgentTrust.Tests.Mcps;
using AgentTrust.Tests.Support;
using Microsoft.Data.Sqlite;

namespace AgentTrust.Tests.Replay;

/// <summary>
/// The restart fence of a SQLite replay store without a flush per commit: a reboot (new boot id) may have lost the last
/// registrations, so every message or token that could have been registered before it is refused.
/// </summary>
public sealed class SqliteReplayStoreRestartFenceTests : IDisposable
{
    private const string Call = """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"pay"}}""";
    private readonly TemporaryDirectory _directory = new("agenttrust-replay-fence-");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }

    private static Task<SqliteReplayStore> OpenAsync(string path, string? bootId, TimeProvider clock, bool durable = false) =>
        SqliteReplayStore.OpenAsync(new SqliteReplayStoreOptions { DatabasePath = path, DurableCommits = durable, BootIdSource = () => bootId }, clock);

    // What a power loss does to commits that were in the page cache only: they are gone.
    private static async Task LoseAllRegistrationsAsync(string path)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM replay_entries";
        Assert.True(await command.ExecuteNonQueryAsync() > 0);
    }

    [Fact]
    public async Task A_message_accepted_before_a_reboot_that_lost_its_nonce_is_refused_by_the_fence_not_accepted_again()
    {
        using var world = new McpsWorld();
        var path = _directory.File("replay.db");
        var signed = world.Sign(Call);
        await using (var before = await OpenAsync(path, "boot-1", world.Clock))
        {
            Assert.Null(before.RestartFence);
            Assert.False(before.CommitsAreDurable);
            Assert.True((await world.Verifier(nonces: new ReplayStoreNonceStore(before)).VerifyAsync(signed)).IsValid);
        }

        await LoseAllRegistrationsAsync(path);
        world.Clock.Advance(TimeSpan.FromSeconds(20));
        await using var after = await OpenAsync(path, "boot-2", world.Clock);
        Assert.Equal(world.Clock.GetUtcNow(), after.RestartFence);

        var replay = await world.Verifier(nonces: new ReplayStoreNonceStore(after)).VerifyAsync(signed);
        Assert.Equal((McpsCode.TimestampOutOfWindow, McpsReasons.BeforeRestartFence), (replay.Code!.Value, replay.Reason!));
        Assert.Equal(0, await after.CountAsync()); // refused before the insert: nothing burnt
    }

    [Fact]
    public async Task A_message_dated_ahead_of_the_verifier_clock_before_the_reboot_is_still_inside_the_fence()
    {
        using var world = new McpsWorld();
        var path = _directory.File("replay.db");
        var signerClock = new ManualTimeProvider(world.Clock.GetUtcNow() + TimeSpan.FromSeconds(50));
        var signed = new AgentTrust.Mcps.Envelopes.McpsMessageSigner(world.AgentKey, world.Passport.PassportId, signerClock)
            .Sign(System.Text.Encoding.UTF8.GetBytes(Call), world.EmbedPassport);
        await using (var before = await OpenAsync(path, "boot-1", world.Clock))
        {
            Assert.True((await world.Verifier(nonces: new ReplayStoreNonceStore(before)).VerifyAsync(signed)).IsValid);
        }

        await LoseAllRegistrationsAsync(path);
        world.Clock.Advance(TimeSpan.FromSeconds(10)); // the fence is now earlier than the message's timestamp
        await using var after = await OpenAsync(path, "boot-2", world.Clock);
        Assert.True(after.RestartFence < signerClock.GetUtcNow());
        Assert.Equal(McpsReasons.BeforeRestartFence, (await world.Verifier(nonces: new ReplayStoreNonceStore(after)).VerifyAsync(signed)).Reason);
    }

    [Fact]
    public async Task A_message_signed_after_the_fence_and_its_future_skew_passes_once()
    {
        using var world = new McpsWorld();
        var path = _directory.File("replay.db");
        await using (await OpenAsync(path, "boot-1", world.Clock))
        {
        }

        world.Clock.Advance(TimeSpan.FromSeconds(20));
        await using var after = await OpenAsync(path, "boot-2", world.Clock);
        Assert.NotNull(after.RestartFence);
        var verifier = world.Verifier(nonces: new ReplayStoreNonceStore(after));
        world.Clock.Advance(TimeSpan.FromSeconds(61));
        var fresh = world.Sign(Call);
        Assert.True((await verifier.VerifyAsync(fresh)).IsValid);
        Assert.Equal(McpsCode.ReplayDetected, (await verifier.VerifyAsync(fresh)).Code);
    }

    [Fact]
    public async Task Every_instance_opened_during_the_same_boot_sees_the_first_opener_fence()
    {
        var clock = ManualTimeProvider.AtUnixSeconds(1_800_000_000);
        var path = _directory.File("replay.db");
        await using (await OpenAsync(path, "boot-1", clock))
        {
        }

        clock.Advance(TimeSpan.FromSeconds(30));
        await using var first = await OpenAsync(path, "boot-2", clock);
        var fence = first.RestartFence;
        Assert.Equal(clock.GetUtcNow(), fence);

        clock.Advance(TimeSpan.FromSeconds(45));
        await using var second = await OpenAsync(path, "boot-2", clock);
        Assert.Equal(fence, second.RestartFence);

        // A durable opener of the same boot reads the same fence: the file may still hold lost registrations' gaps.
        await using var durable = await OpenAsync(path, "boot-2", clock, durable: true);
        Assert.Equal(fence, durable.RestartFence);
        Assert.True(durable.CommitsAreDurable);
    }

    [Fact]
    public async Task The_same_boot_never_sets_a_fence_and_a_brand_new_file_has_none()
    {
        var clock = ManualTimeProvider.AtUnixSeconds(1_800_000_000);
        var path = _directory.File("replay.db");
        await using (var store = await OpenAsync(path, "boot-1", clock))
        {
            Assert.Null(store.RestartFence);
            Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", "n", clock.GetUtcNow().AddMinutes(5)));
        }

        clock.Advance(TimeSpan.FromSeconds(30));
        await using var again = await OpenAsync(path, "boot-1", clock);
        Assert.Null(again.RestartFence);
        Assert.Equal(ReplayCheckResult.Replayed, await again.TryRegisterAsync("asp_a", "n", clock.GetUtcNow().AddMinutes(5)));
    }

    [Fact]
    public async Task A_durable_opener_after_a_reboot_sets_the_fence_for_a_file_used_without_flushes()
    {
        var clock = ManualTimeProvider.AtUnixSeconds(1_800_000_000);
        var path = _directory.File("replay.db");
        await using (await OpenAsync(path, "boot-1", clock))
        {
        }

        clock.Advance(TimeSpan.FromSeconds(30));
        await using (var durable = await OpenAsync(path, "boot-2", clock, durable: true))
        {
            Assert.Equal(clock.GetUtcNow(), durable.RestartFence);
        }

        // A file only ever opened durably keeps no boot id and never gets a fence.
        var durableOnly = _directory.File("durable.db");
        await using (await OpenAsync(durableOnly, "boot-1", clock, durable: true))
        {
        }

        await using var reopened = await OpenAsync(durableOnly, "boot-2", clock, durable: true);
        Assert.Null(reopened.RestartFence);
    }

    [Fact]
    public async Task A_file_from_before_the_fence_schema_gets_a_fence_when_opened_without_flushes()
    {
        var clock = ManualTimeProvider.AtUnixSeconds(1_800_000_000);
        var path = _directory.File("replay.db");
        await using (var store = await OpenAsync(path, "boot-1", clock))
        {
            Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", "n", clock.GetUtcNow().AddMinutes(5)));
        }

        // Take the file back to version 2 (no meta table), as a file written by the previous release.
        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "DROP TABLE replay_meta; DELETE FROM agenttrust_schema_versions WHERE component = 'replay' AND version = 3;";
            await command.ExecuteNonQueryAsync();
        }

        clock.Advance(TimeSpan.FromSeconds(5));
        await using var upgraded = await OpenAsync(path, "boot-1", clock);
        Assert.Equal(clock.GetUtcNow(), upgraded.RestartFence);
    }

    [Fact]
    public async Task Without_a_boot_id_commits_stay_durable_and_no_fence_is_kept()
    {
        var clock = ManualTimeProvider.AtUnixSeconds(1_800_000_000);
        var path = _directory.File("replay.db");
        await using (var store = await OpenAsync(path, bootId: null, clock))
        {
            Assert.True(store.CommitsAreDurable);
            Assert.Null(store.RestartFence);
        }

        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM replay_meta";
            Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);
        }

        await using var withBoot = await OpenAsync(path, "boot-1", clock);
        Assert.False(withBoot.CommitsAreDurable);
    }

    [Fact]
    public async Task An_attestation_token_issued_before_the_fence_is_refused_and_a_later_one_accepted()
    {
        using var f = new AttestationFixture();
        var path = _directory.File("replay.db");
        var minter = new AttestationTokenIssuer(f.IssuerKey, AttestationFixture.Kid, AttestationFixture.Issuer, f.Clock);
        var early = minter.Issue(AttestationFixture.Request());
        await using (var before = await OpenAsync(path, "boot-1", f.Clock))
        {
            Assert.True((await f.Verifier(store: before).VerifyAsync(early)).Verified);
        }

        await LoseAllRegistrationsAsync(path);
        f.Clock.Advance(TimeSpan.FromSeconds(20));
        await using var after = await OpenAsync(path, "boot-2", f.Clock);
        var verifier = f.Verifier(store: after);
        var refused = await verifier.VerifyAsync(early);
        Assert.Equal(AttestationReason.IssuedBeforeRestartFence, refused.Reason);
        Assert.Equal(AttestationReasons.Expired, refused.JsonRpcCode);
        Assert.Equal(0, await after.CountAsync());

        f.Clock.Advance(TimeSpan.FromSeconds(31)); // past the fence plus the verifier's clock skew (30 s)
        Assert.Equal(AttestationReason.None, (await verifier.VerifyAsync(minter.Issue(AttestationFixture.Request()))).Reason);
    }
}
