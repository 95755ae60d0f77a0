using AgentTrust.Replay;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Replay;

/// <summary>
/// The behaviour every <see cref="IReplayStore"/> backend must show. Each backend derives one class from this and
/// says how to make a fresh, empty location (file, database) and how to open a store on it.
/// </summary>
public abstract class ReplayStoreConformanceTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    private readonly List<IReplayStore> _opened = [];

    /// <summary>The clock every store of the test reads.</summary>
    private protected ManualTimeProvider Clock { get; } = new(Start);

    /// <summary>Whether two stores opened on one location share their entries (SQLite file, PostgreSQL database).</summary>
    protected abstract bool SharesAcrossInstances { get; }

    /// <summary>
    /// Whether the capacity bound holds exactly under concurrent writers. PostgreSQL reads its counters before the
    /// insert, so concurrent writers may overshoot by at most their number (documented on the store).
    /// </summary>
    protected virtual bool CapacityIsExactUnderConcurrency => true;

    /// <summary>
    /// Whether a replay reports the live holder to any presenter. The mapped store keeps only a keyed digest of the
    /// holder, so it names the holder only to the presenter who is that holder (all that IsReplayBy needs).
    /// </summary>
    protected virtual bool ReportsHolderToOthers => true;

    /// <summary>Makes a fresh, empty location.</summary>
    protected abstract Task<string> CreateLocationAsync();

    /// <summary>Opens a store on a location.</summary>
    protected abstract Task<IReplayStore> OpenStoreAsync(string location, ReplayStoreOptions options, TimeProvider timeProvider);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in _opened)
        {
            await store.CloseAsync();
        }
    }

    private async Task<IReplayStore> OpenAsync(string location, ReplayStoreOptions? options = null)
    {
        var store = await OpenStoreAsync(location, options ?? ReplayStoreOptions.Default, Clock);
        _opened.Add(store);
        return store;
    }

    private async Task<IReplayStore> FreshAsync(ReplayStoreOptions? options = null) => await OpenAsync(await CreateLocationAsync(), options);

    private DateTimeOffset Expiry => Clock.GetUtcNow() + Window;

    [Fact]
    public async Task First_registration_is_accepted()
    {
        var store = await FreshAsync();
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", "nonce-1", Expiry));
        Assert.Equal(1, await store.CountAsync());
    }

    [Fact]
    public async Task Duplicate_in_the_same_partition_is_a_replay()
    {
        var store = await FreshAsync();
        var expiry = Expiry;
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", "nonce-1", expiry));
        Assert.Equal(ReplayCheckResult.Replayed, await store.TryRegisterAsync("asp_a", "nonce-1", expiry));

        // A replay carrying a later or earlier expiry is still a replay, and does not move the stored expiry.
        Assert.Equal(ReplayCheckResult.Replayed, await store.TryRegisterAsync("asp_a", "nonce-1", expiry + TimeSpan.FromHours(1)));
        Assert.Equal(ReplayCheckResult.Replayed, await store.TryRegisterAsync("asp_a", "nonce-1", Clock.GetUtcNow() + TimeSpan.FromSeconds(1)));
        Clock.Set(expiry);
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", "nonce-1", Expiry));
    }

    [Fact]
    public async Task Same_value_in_another_partition_is_accepted()
    {
        var store = await FreshAsync();
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("https://issuer-a.example", "jti-1", Expiry));
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("https://issuer-b.example", "jti-1", Expiry));
        Assert.Equal(2, await store.CountAsync());
    }

    [Fact]
    public async Task Keys_do_not_collide_through_concatenation_or_case()
    {
        var store = await FreshAsync();

        // A store keyed on "partition:value" would see these as one key.
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("a:b", "c", Expiry));
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("a", "b:c", Expiry));

        // Values compare ordinally: neither case-folded nor normalised.
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("p", "abc", Expiry));
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("p", "ABC", Expiry));
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("p", "\u00e9", Expiry));
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("p", "e\u0301", Expiry));
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("p", "abc ", Expiry));
        Assert.Equal(ReplayCheckResult.Replayed, await store.TryRegisterAsync("p", "abc", Expiry));
    }

    [Fact]
    public async Task Value_is_held_until_its_expiry_and_accepted_again_from_then_on()
    {
        var store = await FreshAsync();
        var expiry = Expiry;
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", "n", expiry));

        Clock.Set(expiry - TimeSpan.FromMilliseconds(1));
        Assert.Equal(ReplayCheckResult.Replayed, await store.TryRegisterAsync("asp_a", "n", Expiry));

        Clock.Set(expiry);
        var next = Expiry;
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", "n", next));
        Assert.Equal(ReplayCheckResult.Replayed, await store.TryRegisterAsync("asp_a", "n", next));
        Assert.Equal(1, await store.CountAsync());
    }

    [Fact]
    public async Task Sub_millisecond_expiry_is_never_shortened()
    {
        var store = await FreshAsync();
        var expiry = Clock.GetUtcNow() + TimeSpan.FromSeconds(1) + TimeSpan.FromTicks(5_000); // 1.0005 s
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", "n", expiry));

        Clock.Set(expiry - TimeSpan.FromTicks(1));
        Assert.Equal(ReplayCheckResult.Replayed, await store.TryRegisterAsync("asp_a", "n", Expiry));
    }

    [Fact]
    public async Task Clock_moving_backwards_keeps_entries_live()
    {
        var store = await FreshAsync();
        var expiry = Expiry;
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", "n", expiry));
        Clock.Advance(-TimeSpan.FromHours(1));
        Assert.Equal(ReplayCheckResult.Replayed, await store.TryRegisterAsync("asp_a", "n", expiry));
    }

    [Fact]
    public async Task A_moving_clock_reclaims_exactly_the_expired_entries()
    {
        var store = await FreshAsync();
        for (var i = 0; i < 10; i++)
        {
            // Entry i expires i seconds after the start (plus one, so that every expiry is in the future).
            Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", $"n{i}", Clock.GetUtcNow() + TimeSpan.FromSeconds(i + 1)));
        }

        Clock.Advance(TimeSpan.FromSeconds(4));
        await store.PurgeExpiredAsync();
        Assert.Equal(6, await store.CountAsync());
        for (var i = 0; i < 10; i++)
        {
            var expected = i < 4 ? ReplayCheckResult.Accepted : ReplayCheckResult.Replayed;
            Assert.Equal(expected, await store.TryRegisterAsync("asp_a", $"n{i}", Expiry));
        }

        Clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(10, await store.PurgeExpiredAsync());
        Assert.Equal(0, await store.CountAsync());
    }

    [Fact]
    public async Task Full_store_rejects_new_values_and_never_evicts_live_ones()
    {
        var store = await FreshAsync(new ReplayStoreOptions { MaxEntries = 8 });
        var expiry = Expiry;
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync($"asp_{i % 3}", $"n{i}", expiry));
        }

        for (var attempt = 0; attempt < 20; attempt++)
        {
            Assert.Equal(ReplayCheckResult.CapacityExceeded, await store.TryRegisterAsync("asp_new", $"flood{attempt}", expiry));
        }

        // Every entry inside its window is still there: its replay is still caught.
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(ReplayCheckResult.Replayed, await store.TryRegisterAsync($"asp_{i % 3}", $"n{i}", expiry));
        }

        // Once they expire the room is reclaimed without an explicit purge.
        Clock.Set(expiry);
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_new", "after", Expiry));
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_new", "after-2", Expiry));
    }

    [Fact]
    public async Task Full_partition_rejects_its_own_new_values_only()
    {
        var store = await FreshAsync(new ReplayStoreOptions { MaxEntriesPerPartition = 3 });
        var expiry = Expiry;
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_greedy", $"n{i}", expiry));
        }

        Assert.Equal(ReplayCheckResult.CapacityExceeded, await store.TryRegisterAsync("asp_greedy", "n3", expiry));
        Assert.Equal(ReplayCheckResult.Replayed, await store.TryRegisterAsync("asp_greedy", "n0", expiry));
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_other", "n3", expiry));

        Clock.Set(expiry);
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_greedy", "n3", Expiry));
    }

    public static TheoryData<string, string, int> InvalidRequests => new()
    {
        { "empty partition", "", 300 },
        { "empty value", "asp_a", 300 },
        { "expiry now", "asp_a", 0 },
        { "expiry past", "asp_a", -1 },
        { "absurd partition", new string('p', 10_000_000), 300 },
        { "partition one byte over", new string('p', ReplayStoreOptions.DefaultMaxPartitionBytes + 1), 300 },
        { "multibyte partition over in bytes", new string('\u00e9', (ReplayStoreOptions.DefaultMaxPartitionBytes / 2) + 1), 300 },
        { "NUL in partition", "asp\0a", 300 },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public async Task Bad_requests_are_refused_before_storage(string name, string partition, int expirySeconds)
    {
        Assert.NotNull(name);
        var store = await FreshAsync();
        var value = name == "empty value" ? "" : "nonce";
        var result = await store.TryRegisterAsync(partition, value, Clock.GetUtcNow() + TimeSpan.FromSeconds(expirySeconds));
        Assert.Equal(ReplayCheckResult.InvalidRequest, result);
        Assert.Equal(0, await store.CountAsync());
    }

    [Fact]
    public async Task Lone_surrogates_are_refused_rather_than_replaced()
    {
        // (Not theory data: xunit would replace the lone surrogate while serialising the case.)
        var store = await FreshAsync();
        Assert.Equal(ReplayCheckResult.InvalidRequest, await store.TryRegisterAsync("asp_\ud800", "n", Expiry));
        Assert.Equal(ReplayCheckResult.InvalidRequest, await store.TryRegisterAsync("asp_a", "n\udc00", Expiry));

        // Replacing them by U+FFFD would make these two distinct values one key.
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", "n\ufffd", Expiry));
        Assert.Equal(1, await store.CountAsync());
    }

    [Theory]
    [InlineData("absurd value", 10_000_000)]
    [InlineData("value one byte over", ReplayStoreOptions.DefaultMaxValueBytes + 1)]
    public async Task Oversized_values_are_refused(string name, int length)
    {
        Assert.NotNull(name);
        var store = await FreshAsync();
        Assert.Equal(ReplayCheckResult.InvalidRequest, await store.TryRegisterAsync("asp_a", new string('v', length), Expiry));
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", new string('v', ReplayStoreOptions.DefaultMaxValueBytes), Expiry));
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync(new string('p', ReplayStoreOptions.DefaultMaxPartitionBytes), "v", Expiry));
    }

    [Fact]
    public async Task Parallel_registrations_of_one_value_accept_exactly_one()
    {
        var location = await CreateLocationAsync();
        var stores = new List<IReplayStore> { await OpenAsync(location) };
        if (SharesAcrossInstances)
        {
            stores.Add(await OpenAsync(location));
        }

        for (var round = 0; round < 5; round++)
        {
            var expiry = Expiry;
            var value = $"nonce-{round}";
            var attempts = Enumerable.Range(0, 32)
                .Select(i => Task.Run(async () => await stores[i % stores.Count].TryRegisterAsync("asp_a", value, expiry)))
                .ToArray();
            var results = await Task.WhenAll(attempts);
            Assert.Single(results, r => r == ReplayCheckResult.Accepted);
            Assert.All(results, r => Assert.True(r is ReplayCheckResult.Accepted or ReplayCheckResult.Replayed, r.ToString()));
        }
    }

    [Fact]
    public async Task Parallel_registrations_of_distinct_values_are_all_accepted()
    {
        var store = await FreshAsync();
        var expiry = Expiry;
        var results = await Task.WhenAll(Enumerable.Range(0, 200)
            .Select(i => Task.Run(async () => await store.TryRegisterAsync($"asp_{i % 7}", $"n{i}", expiry))));
        Assert.All(results, r => Assert.Equal(ReplayCheckResult.Accepted, r));
        Assert.Equal(200, await store.CountAsync());
    }

    [Fact]
    public async Task Parallel_registrations_against_a_small_capacity_fill_it_and_then_refuse()
    {
        const int Capacity = 50;
        var store = await FreshAsync(new ReplayStoreOptions { MaxEntries = Capacity });
        var expiry = Expiry;
        var results = await Task.WhenAll(Enumerable.Range(0, 200)
            .Select(i => Task.Run(async () => await store.TryRegisterAsync($"asp_{i % 5}", $"n{i}", expiry))));

        var accepted = results.Count(r => r == ReplayCheckResult.Accepted);
        Assert.All(results, r => Assert.True(r is ReplayCheckResult.Accepted or ReplayCheckResult.CapacityExceeded, r.ToString()));
        Assert.Equal(accepted, await store.CountAsync());
        if (CapacityIsExactUnderConcurrency)
        {
            Assert.Equal(Capacity, accepted);
        }
        else
        {
            Assert.InRange(accepted, Capacity, Capacity + 64);
        }

        // Full now, whatever the overshoot: a new value is refused.
        Assert.Equal(ReplayCheckResult.CapacityExceeded, await store.TryRegisterAsync("asp_late", "n", expiry));
    }

    [Fact]
    public async Task Instances_on_one_location_share_entries_and_survive_reopening()
    {
        if (!SharesAcrossInstances)
        {
            return;
        }

        var location = await CreateLocationAsync();
        var first = await OpenAsync(location);
        var second = await OpenAsync(location);
        var expiry = Expiry;
        Assert.Equal(ReplayCheckResult.Accepted, await first.TryRegisterAsync("asp_a", "n", expiry));
        Assert.Equal(ReplayCheckResult.Replayed, await second.TryRegisterAsync("asp_a", "n", expiry));

        await DisposeStoreAsync(first);
        await DisposeStoreAsync(second);
        var reopened = await OpenAsync(location);
        Assert.Equal(ReplayCheckResult.Replayed, await reopened.TryRegisterAsync("asp_a", "n", expiry));
        Assert.Equal(1, await reopened.CountAsync());
        Clock.Set(expiry);
        Assert.Equal(ReplayCheckResult.Accepted, await reopened.TryRegisterAsync("asp_a", "n", Expiry));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Random_traffic_matches_a_reference_model(int seed)
    {
        const int MaxEntries = 20;
        const int MaxPerPartition = 8;
        var store = await FreshAsync(new ReplayStoreOptions { MaxEntries = MaxEntries, MaxEntriesPerPartition = MaxPerPartition });
        var random = new Random(seed);
        var model = new Dictionary<(string Partition, string Value), DateTimeOffset>();
        var seen = new HashSet<ReplayCheckResult>();
        for (var step = 0; step < 300; step++)
        {
            Clock.Advance(TimeSpan.FromMilliseconds(random.Next(0, 120)));
            var now = Clock.GetUtcNow();
            var key = ($"asp_{random.Next(3)}", $"n{random.Next(15)}");
            var expiresAt = now + TimeSpan.FromMilliseconds(random.Next(1, 3000));

            var live = model.Where(e => e.Value > now).ToList();
            ReplayCheckResult expected;
            if (live.Any(e => e.Key == key))
            {
                expected = ReplayCheckResult.Replayed;
            }
            else if (live.Count >= MaxEntries || live.Count(e => e.Key.Partition == key.Item1) >= MaxPerPartition)
            {
                expected = ReplayCheckResult.CapacityExceeded;
            }
            else
            {
                expected = ReplayCheckResult.Accepted;
                model[key] = expiresAt;
            }

            Assert.Equal((step, expected), (step, await store.TryRegisterAsync(key.Item1, key.Item2, expiresAt)));
            seen.Add(expected);
            if (random.Next(25) == 0)
            {
                await store.PurgeExpiredAsync();
                Assert.Equal(model.Count(e => e.Value > now), await store.CountAsync());
            }
        }

        // The run exercised every outcome, so the comparison above meant something.
        Assert.Equal(3, seen.Count);
    }

    [Fact]
    public async Task The_holder_of_a_live_value_is_reported_to_a_replay()
    {
        var store = await FreshAsync();
        var expiry = Expiry;
        var first = await store.TryRegisterAsync("https://issuer.example", "jti-1", expiry, "asp_presenter");
        Assert.Equal(new ReplayRegistration(ReplayCheckResult.Accepted, "asp_presenter"), first);

        var again = await store.TryRegisterAsync("https://issuer.example", "jti-1", expiry, "asp_other");
        Assert.Equal(new ReplayRegistration(ReplayCheckResult.Replayed, ReportsHolderToOthers ? "asp_presenter" : null), again);
        Assert.Equal(ReportsHolderToOthers, again.IsReplayBy("asp_presenter"));
        Assert.False(again.IsReplayBy("asp_other"));
        var bySamePresenter = await store.TryRegisterAsync("https://issuer.example", "jti-1", expiry, "asp_presenter");
        Assert.Equal(new ReplayRegistration(ReplayCheckResult.Replayed, "asp_presenter"), bySamePresenter);
        Assert.True(bySamePresenter.IsReplayBy("asp_presenter"));
        Assert.False(bySamePresenter.IsReplayBy("asp_other"));
        Assert.False(again.IsReplayBy("ASP_PRESENTER"));
        Assert.False(again.IsReplayBy(null));

        // Registered without a holder: nobody can claim it, not even another anonymous presentation.
        Assert.Equal(ReplayCheckResult.Accepted, (await store.TryRegisterAsync("https://issuer.example", "jti-2", expiry, null)).Result);
        var anonymous = await store.TryRegisterAsync("https://issuer.example", "jti-2", expiry, "asp_presenter");
        Assert.Equal(new ReplayRegistration(ReplayCheckResult.Replayed, null), anonymous);
        Assert.False(anonymous.IsReplayBy("asp_presenter"));
        Assert.False(anonymous.IsReplayBy(null));

        // The plain registration sees the same entries.
        Assert.Equal(ReplayCheckResult.Replayed, await store.TryRegisterAsync("https://issuer.example", "jti-1", expiry));

        // After expiry the next registration owns the value.
        Clock.Set(expiry);
        Assert.Equal(new ReplayRegistration(ReplayCheckResult.Accepted, "asp_other"), await store.TryRegisterAsync("https://issuer.example", "jti-1", Expiry, "asp_other"));
        Assert.Equal(ReportsHolderToOthers, (await store.TryRegisterAsync("https://issuer.example", "jti-1", Expiry, "asp_presenter")).IsReplayBy("asp_other"));
        Assert.True((await store.TryRegisterAsync("https://issuer.example", "jti-1", Expiry, "asp_other")).IsReplayBy("asp_other"));
        Assert.False((await store.TryRegisterAsync("https://issuer.example", "jti-1", Expiry, "asp_presenter")).IsReplayBy("asp_presenter"));
    }

    [Fact]
    public async Task Bad_holders_are_refused_before_storage()
    {
        var store = await FreshAsync();
        Assert.Equal(ReplayCheckResult.InvalidRequest, (await store.TryRegisterAsync("p", "v", Expiry, "")).Result);
        Assert.Equal(ReplayCheckResult.InvalidRequest, (await store.TryRegisterAsync("p", "v", Expiry, "asp\0x")).Result);
        Assert.Equal(ReplayCheckResult.InvalidRequest, (await store.TryRegisterAsync("p", "v", Expiry, "asp_\udc00")).Result);
        Assert.Equal(ReplayCheckResult.InvalidRequest, (await store.TryRegisterAsync("p", "v", Expiry, new string('h', 10_000_000))).Result);
        Assert.Equal(0, await store.CountAsync());
    }

    [Fact]
    public async Task A_cancelled_registration_throws_and_registers_nothing()
    {
        var store = await FreshAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.TryRegisterAsync("asp_a", "n", Expiry, cancelled.Token));
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", "n", Expiry));
    }

    private async Task DisposeStoreAsync(IReplayStore store)
    {
        _opened.Remove(store);
        await store.CloseAsync();
    }
}
