using AgentTrust.Errors;
using AgentTrust.Mcps;
using AgentTrust.Mcps.Envelopes;
using AgentTrust.Mcps.Replay;
using AgentTrust.Replay;

namespace AgentTrust.Tests.Mcps;

/// <summary>Replay, nonce store and resource exhaustion (mcps.md §9, §14 categories 1, 12, 19).</summary>
public class McpsAttackReplayTests
{
    private const string Call = """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"pay"}}""";

    [Fact]
    public async Task First_accepted_duplicate_rejected_different_accepted()
    {
        using var world = new McpsWorld();
        var verifier = world.Verifier();
        var first = world.Sign(Call);
        Assert.True((await verifier.VerifyAsync(first)).IsValid);
        var replay = await verifier.VerifyAsync(first);
        Assert.Equal((McpsCode.ReplayDetected, McpsReasons.Replay), (replay.Code!.Value, replay.Reason!));
        Assert.True((await verifier.VerifyAsync(world.Sign(Call))).IsValid);
    }

    [Fact]
    public async Task Nonce_is_keyed_by_passport()
    {
        var store = new InMemoryNonceStore();
        var expires = DateTimeOffset.UtcNow.AddMinutes(5);
        Assert.Equal(NonceCheckResult.Accepted, await store.TryRegisterAsync("asp_" + new string('a', 32), new string('1', 32), expires, default));
        Assert.Equal(NonceCheckResult.Accepted, await store.TryRegisterAsync("asp_" + new string('b', 32), new string('1', 32), expires, default));
        Assert.Equal(NonceCheckResult.Replayed, await store.TryRegisterAsync("asp_" + new string('a', 32), new string('1', 32), expires, default));
    }

    [Fact]
    public async Task A_rejected_message_never_burns_its_nonce()
    {
        using var world = new McpsWorld();
        var verifier = world.Verifier();
        var signed = McpsWorld.Parse(world.Sign(Call));
        var tampered = (System.Text.Json.Nodes.JsonObject)signed.DeepClone();
        tampered["params"]!["name"] = "steal";
        Assert.False((await verifier.VerifyAsync(McpsWorld.Bytes(tampered))).IsValid);

        var denied = await verifier.VerifyAsync(McpsWorld.Bytes(signed), new McpsVerificationContext { MinimumTrustLevel = 4 });
        Assert.Equal(McpsCode.InsufficientTrust, denied.Code);

        Assert.Equal(0, world.Nonces.Count);
        Assert.True((await verifier.VerifyAsync(McpsWorld.Bytes(signed))).IsValid);
    }

    [Fact]
    public async Task Nonce_is_held_for_the_whole_window_and_the_window_then_rejects_it()
    {
        using var world = new McpsWorld();
        var verifier = world.Verifier();
        var signed = world.Sign(Call);
        Assert.True((await verifier.VerifyAsync(signed)).IsValid);
        world.Clock.Advance(TimeSpan.FromSeconds(299));
        Assert.Equal(McpsCode.ReplayDetected, (await verifier.VerifyAsync(signed)).Code);
        world.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(McpsCode.TimestampOutOfWindow, (await verifier.VerifyAsync(signed)).Code);
    }

    [Fact]
    public async Task Full_store_rejects_new_messages_and_never_evicts_a_live_entry()
    {
        using var world = new McpsWorld();
        var store = new InMemoryNonceStore(capacity: 3, perPassportCapacity: 3, time: world.Clock);
        var verifier = world.Verifier(nonces: store);
        var accepted = new List<byte[]>();
        for (var i = 0; i < 3; i++)
        {
            var m = world.Sign(Call);
            Assert.True((await verifier.VerifyAsync(m)).IsValid);
            accepted.Add(m);
        }

        var overflow = await verifier.VerifyAsync(world.Sign(Call));
        Assert.Equal((McpsCode.RateLimited, McpsReasons.NonceStoreFull), (overflow.Code!.Value, overflow.Reason!));
        foreach (var m in accepted)
        {
            Assert.Equal(McpsCode.ReplayDetected, (await verifier.VerifyAsync(m)).Code);
        }

        world.Clock.Advance(TimeSpan.FromSeconds(301));
        Assert.True((await verifier.VerifyAsync(world.Sign(Call))).IsValid); // expired entries reclaimed
    }

    [Fact]
    public async Task Per_passport_quota_stops_one_signer_filling_the_store()
    {
        var store = new InMemoryNonceStore(capacity: 1000, perPassportCapacity: 2);
        var expires = DateTimeOffset.UtcNow.AddMinutes(5);
        var noisy = McpsIdentifiers.NewPassportId();
        Assert.Equal(NonceCheckResult.Accepted, await store.TryRegisterAsync(noisy, McpsIdentifiers.NewNonce(), expires, default));
        Assert.Equal(NonceCheckResult.Accepted, await store.TryRegisterAsync(noisy, McpsIdentifiers.NewNonce(), expires, default));
        Assert.Equal(NonceCheckResult.StoreFull, await store.TryRegisterAsync(noisy, McpsIdentifiers.NewNonce(), expires, default));
        Assert.Equal(NonceCheckResult.Accepted, await store.TryRegisterAsync(McpsIdentifiers.NewPassportId(), McpsIdentifiers.NewNonce(), expires, default));
    }

    [Fact]
    public async Task Hundred_thousand_nonces_stay_bounded()
    {
        var store = new InMemoryNonceStore(capacity: 50_000, perPassportCapacity: 50_000);
        var expires = DateTimeOffset.UtcNow.AddMinutes(5);
        var passport = McpsIdentifiers.NewPassportId();
        var full = 0;
        for (var i = 0; i < 100_000; i++)
        {
            if (await store.TryRegisterAsync(passport, i.ToString("x32", System.Globalization.CultureInfo.InvariantCulture), expires, default) == NonceCheckResult.StoreFull)
            {
                full++;
            }
        }

        Assert.Equal(50_000, full);
        Assert.Equal(50_000, store.Count);
    }

    [Fact]
    public async Task Concurrent_replays_yield_exactly_one_acceptance()
    {
        using var world = new McpsWorld();
        var verifier = world.Verifier();
        var signed = world.Sign(Call);
        var results = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(async () => await verifier.VerifyAsync(signed))));
        Assert.Equal(1, results.Count(r => r.IsValid));
        Assert.Equal(31, results.Count(r => r.Code == McpsCode.ReplayDetected));
    }

    [Fact]
    public async Task Store_outage_fails_closed()
    {
        using var world = new McpsWorld();
        var verifier = world.Verifier(nonces: new ReplayStoreNonceStore(new BrokenStore()));
        var result = await verifier.VerifyAsync(world.Sign(Call));
        Assert.False(result.IsValid);
        Assert.Equal(McpsCode.InternalError, result.Code);
    }

    [Fact]
    public async Task Generic_replay_store_backs_the_nonce_store()
    {
        using var world = new McpsWorld();
        var verifier = world.Verifier(nonces: new ReplayStoreNonceStore(new InMemoryReplayStore(timeProvider: world.Clock)));
        var signed = world.Sign(Call);
        Assert.True((await verifier.VerifyAsync(signed)).IsValid);
        Assert.Equal(McpsCode.ReplayDetected, (await verifier.VerifyAsync(signed)).Code);
    }

    [Fact]
    public async Task Full_verification_without_a_nonce_store_is_a_configuration_error()
    {
        var verifier = new McpsMessageVerifier();
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await verifier.VerifyAsync(new byte[] { 1 }));
    }

    private sealed class BrokenStore : IReplayStore
    {
        public ValueTask<ReplayCheckResult> TryRegisterAsync(string partition, string value, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(ReplayCheckResult.StoreUnavailable);

        public ValueTask<long> PurgeExpiredAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(0L);

        public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(0L);
    }
}
