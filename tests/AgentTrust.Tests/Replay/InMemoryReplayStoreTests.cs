using AgentTrust.Replay;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Replay;

public sealed class InMemoryReplayStoreConformanceTests : ReplayStoreConformanceTests
{
    protected override bool SharesAcrossInstances => false;

    protected override Task<string> CreateLocationAsync() => Task.FromResult("memory");

    protected override Task<IReplayStore> OpenStoreAsync(string location, ReplayStoreOptions options, TimeProvider timeProvider) =>
        Task.FromResult<IReplayStore>(new InMemoryReplayStore(options, timeProvider));
}

public sealed class InMemoryReplayStoreTests
{
    [Fact]
    public void Expired_entries_are_reclaimed_by_ordinary_traffic_without_a_purge()
    {
        var clock = ManualTimeProvider.AtUnixSeconds(1_800_000_000);
        var store = new InMemoryReplayStore(timeProvider: clock);
        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal(ReplayCheckResult.Accepted, store.TryRegister("asp_a", $"old{i}", clock.GetUtcNow() + TimeSpan.FromSeconds(10)));
        }

        clock.Advance(TimeSpan.FromSeconds(10));
        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal(ReplayCheckResult.Accepted, store.TryRegister("asp_a", $"new{i}", clock.GetUtcNow() + TimeSpan.FromSeconds(10)));
        }

        // Every call reclaims a few expired entries: the old generation is gone, only the new one is held.
        Assert.Equal(1000, store.Count);
    }

    [Fact]
    public void Re_registering_an_expired_value_does_not_leave_a_node_that_later_removes_it()
    {
        var clock = ManualTimeProvider.AtUnixSeconds(1_800_000_000);
        var store = new InMemoryReplayStore(timeProvider: clock);
        Assert.Equal(ReplayCheckResult.Accepted, store.TryRegister("asp_a", "n", clock.GetUtcNow() + TimeSpan.FromSeconds(1)));
        clock.Advance(TimeSpan.FromSeconds(1));

        // Re-armed in place before the old entry was reclaimed; the old heap node is now stale.
        Assert.Equal(ReplayCheckResult.Accepted, store.TryRegister("asp_a", "n", clock.GetUtcNow() + TimeSpan.FromSeconds(100)));
        Assert.Equal(0, store.PurgeExpired());
        Assert.Equal(ReplayCheckResult.Replayed, store.TryRegister("asp_a", "n", clock.GetUtcNow() + TimeSpan.FromSeconds(100)));
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public async Task A_store_that_cannot_record_holders_reports_none_so_no_holder_ever_matches()
    {
        var clock = ManualTimeProvider.AtUnixSeconds(1_800_000_000);
        IReplayStore store = new PlainStore(new InMemoryReplayStore(timeProvider: clock));
        var expiry = clock.GetUtcNow() + TimeSpan.FromMinutes(5);
        Assert.Equal(new ReplayRegistration(ReplayCheckResult.Accepted, null), await store.TryRegisterAsync("p", "v", expiry, "asp_a"));
        var again = await store.TryRegisterAsync("p", "v", expiry, "asp_a");
        Assert.Equal(ReplayCheckResult.Replayed, again.Result);
        Assert.False(again.IsReplayBy("asp_a"));
    }

    [Fact]
    public void Options_must_be_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new InMemoryReplayStore(new ReplayStoreOptions { MaxEntries = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new InMemoryReplayStore(new ReplayStoreOptions { MaxValueBytes = -1 }));
    }
}

/// <summary>A store implementing only the plain registration (relies on the interface's default holder method).</summary>
internal sealed class PlainStore(IReplayStore inner) : IReplayStore
{
    public ValueTask<ReplayCheckResult> TryRegisterAsync(string partition, string value, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
        inner.TryRegisterAsync(partition, value, expiresAt, cancellationToken);

    public ValueTask<long> PurgeExpiredAsync(CancellationToken cancellationToken = default) => inner.PurgeExpiredAsync(cancellationToken);

    public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) => inner.CountAsync(cancellationToken);
}
