using System.Buffers.Binary;
using AgentTrust.Errors;
using AgentTrust.Mcps;
using AgentTrust.Mcps.Replay;
using AgentTrust.Replay;
using AgentTrust.Tests.Mcps;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Replay;

/// <summary>
/// What the mapped table adds to the conformance tests: the restart fence, files it must not take, and a table left
/// inconsistent by a writer that died (or by tampering), which must never let a replay through nor crash the process.
/// </summary>
public sealed class MappedReplayStoreTests : IDisposable
{
    private const string Call = """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"pay"}}""";
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TemporaryDirectory _directory = new("agenttrust-replay-mapped-");

    public void Dispose() => _directory.Dispose();

    // Small tables: what is tested does not depend on the size, and the default million is a 116 MB file.
    private static readonly ReplayStoreOptions SmallTable = new() { MaxEntries = 1000, MaxEntriesPerPartition = 1000 };

    private static MappedReplayStore Open(string path, TimeProvider clock, string? bootId = "boot-1", ReplayStoreOptions? limits = null) =>
        MappedReplayStore.Open(new MappedReplayStoreOptions { FilePath = path, BootIdSource = () => bootId, Limits = limits ?? SmallTable }, clock);

    [Fact]
    public void A_new_file_has_no_fence_and_only_its_owner_can_read_it()
    {
        var path = _directory.File("replay.map");
        using var store = Open(path, new ManualTimeProvider(Start));
        Assert.Null(store.RestartFence);
        if (!OperatingSystem.IsLinux())
        {
            Assert.Fail("the store opens on Linux only");
            return;
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task A_reboot_empties_the_table_and_fences_it_for_every_opener_of_that_boot()
    {
        var path = _directory.File("replay.map");
        var clock = new ManualTimeProvider(Start);
        var expiry = Start.AddMinutes(5);
        using (var before = Open(path, clock))
        {
            Assert.Equal(ReplayCheckResult.Accepted, await before.TryRegisterAsync("asp_a", "n1", expiry));
        }

        // Same boot: the entry and the absence of a fence are kept.
        clock.Advance(TimeSpan.FromSeconds(5));
        using (var sameBoot = Open(path, clock))
        {
            Assert.Null(sameBoot.RestartFence);
            Assert.Equal(ReplayCheckResult.Replayed, await sameBoot.TryRegisterAsync("asp_a", "n1", expiry));
        }

        // Another boot: whatever the page cache held may be gone, so the table starts empty behind a fence at now.
        clock.Advance(TimeSpan.FromSeconds(5));
        var rebootedAt = clock.GetUtcNow();
        using (var first = Open(path, clock, "boot-2"))
        {
            Assert.Equal(rebootedAt, first.RestartFence);
            Assert.Equal(0, await first.CountAsync());
            Assert.Equal(ReplayCheckResult.Accepted, await first.TryRegisterAsync("asp_a", "n2", expiry));
        }

        clock.Advance(TimeSpan.FromSeconds(5));
        using var later = Open(path, clock, "boot-2");
        Assert.Equal(rebootedAt, later.RestartFence);
        Assert.Equal(ReplayCheckResult.Replayed, await later.TryRegisterAsync("asp_a", "n2", expiry));
    }

    [Fact]
    public async Task A_message_accepted_before_a_reboot_is_refused_by_the_fence_and_burns_nothing()
    {
        using var world = new McpsWorld();
        var path = _directory.File("replay.map");
        var signed = world.Sign(Call);
        using (var before = Open(path, world.Clock))
        {
            Assert.True((await world.Verifier(nonces: new ReplayStoreNonceStore(before)).VerifyAsync(signed)).IsValid);
        }

        world.Clock.Advance(TimeSpan.FromSeconds(20));
        using var after = Open(path, world.Clock, "boot-2");
        var replay = await world.Verifier(nonces: new ReplayStoreNonceStore(after)).VerifyAsync(signed);
        Assert.Equal((McpsCode.TimestampOutOfWindow, McpsReasons.BeforeRestartFence), (replay.Code!.Value, replay.Reason!));
        Assert.Equal(0, await after.CountAsync());
    }

    [Fact]
    public void An_empty_file_it_did_not_create_may_have_lost_a_table_so_it_is_fenced()
    {
        var path = _directory.File("replay.map");
        File.WriteAllBytes(path, []);
        var clock = new ManualTimeProvider(Start);
        using var store = Open(path, clock);
        Assert.Equal(Start, store.RestartFence);
    }

    [Fact]
    public void A_file_that_is_not_a_table_is_refused_and_left_untouched()
    {
        var path = _directory.File("replay.db");
        var contents = "SQLite format 3\0 and then some"u8.ToArray();
        File.WriteAllBytes(path, contents);
        Assert.Throws<InvalidDataException>(() => Open(path, new ManualTimeProvider(Start)));
        Assert.Equal(contents, File.ReadAllBytes(path));
    }

    [Fact]
    public void Without_a_boot_id_the_store_does_not_open()
    {
        Assert.Throws<PlatformNotSupportedException>(() => Open(_directory.File("replay.map"), new ManualTimeProvider(Start), bootId: null));
        Assert.False(File.Exists(_directory.File("replay.map")));
    }

    [Fact]
    public void A_file_made_for_fewer_entries_is_not_stretched()
    {
        var path = _directory.File("replay.map");
        var clock = new ManualTimeProvider(Start);
        Open(path, clock, limits: new ReplayStoreOptions { MaxEntries = 1000, MaxEntriesPerPartition = 1000 }).Dispose();
        Assert.Throws<InvalidOperationException>(() => Open(path, clock, limits: new ReplayStoreOptions { MaxEntries = 1001 }));
        Open(path, clock, limits: new ReplayStoreOptions { MaxEntries = 10, MaxEntriesPerPartition = 10 }).Dispose();
    }

    [Fact]
    public async Task Counts_and_expiry_order_are_rebuilt_after_a_writer_died_inside_an_update()
    {
        var path = _directory.File("replay.map");
        var clock = new ManualTimeProvider(Start);
        var limits = new ReplayStoreOptions { MaxEntries = 100, MaxEntriesPerPartition = 10 };
        using (var store = Open(path, clock, limits: limits))
        {
            for (var i = 0; i < 10; i++)
            {
                Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", $"n{i}", Start.AddMinutes(1 + i)));
            }
        }

        // What a writer killed between its slot and its counters leaves: the busy mark, counters that disagree.
        WriteHeader(path, MappedReplayStore.TotalAt, 0);
        WriteHeader(path, MappedReplayStore.HeapSizeAt, 0);
        WriteHeader(path, MappedReplayStore.BusyAt, 1);

        using var reopened = Open(path, clock, limits: limits);
        Assert.Equal(10, await reopened.CountAsync());
        Assert.Equal(ReplayCheckResult.CapacityExceeded, await reopened.TryRegisterAsync("asp_a", "n10", Start.AddMinutes(5)));
        Assert.Equal(ReplayCheckResult.Replayed, await reopened.TryRegisterAsync("asp_a", "n9", Start.AddMinutes(5)));

        // The heap came back in expiry order: three minutes later exactly the first three have gone.
        clock.Set(Start.AddMinutes(3));
        Assert.Equal(3, await reopened.PurgeExpiredAsync());
        Assert.Equal(ReplayCheckResult.Accepted, await reopened.TryRegisterAsync("asp_a", "n0", Start.AddMinutes(5)));
        Assert.Equal(ReplayCheckResult.Replayed, await reopened.TryRegisterAsync("asp_a", "n3", Start.AddMinutes(5)));
    }

    [Fact]
    public async Task A_slot_naming_a_partition_outside_the_table_makes_the_store_unavailable_never_a_stray_write()
    {
        var path = _directory.File("replay.map");
        var clock = new ManualTimeProvider(Start);
        using (var store = Open(path, clock))
        {
            Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", "n1", Start.AddMinutes(1)));
        }

        CorruptOccupiedSlotPartition(path);
        using var tampered = Open(path, clock);
        clock.Set(Start.AddMinutes(2));

        // Reclaiming the entry reads the bad index: refused, and refused again (the rebuild meets it too).
        Assert.Equal(ReplayCheckResult.StoreUnavailable, await tampered.TryRegisterAsync("asp_a", "n2", Start.AddMinutes(5)));
        Assert.Equal(ReplayCheckResult.StoreUnavailable, await tampered.TryRegisterAsync("asp_a", "n3", Start.AddMinutes(5)));
        Assert.Throws<InvalidDataException>(() => Open(path, clock));
    }

    [Fact]
    public async Task A_value_re_armed_after_expiry_is_not_freed_by_its_old_heap_node()
    {
        var path = _directory.File("replay.map");
        var clock = new ManualTimeProvider(Start);
        using var store = Open(path, clock);
        var t0 = Start.AddMinutes(1);
        var t1 = Start.AddMinutes(2);

        // Nine nodes ahead of v's in the heap: more than one registration reclaims, so v's expired slot is still there
        // when v comes again, and is re-armed in place behind its old node.
        for (var i = 0; i < 9; i++)
        {
            Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", $"n{i}", t0));
        }

        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", "v", t1));
        clock.Set(t1.AddSeconds(1));
        Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", "v", clock.GetUtcNow().AddMinutes(5)));

        // Popping the old node must not free the slot v now holds.
        Assert.Equal(1, await store.PurgeExpiredAsync());
        Assert.Equal(ReplayCheckResult.Replayed, await store.TryRegisterAsync("asp_a", "v", clock.GetUtcNow().AddMinutes(5)));
        Assert.Equal(1, await store.CountAsync());
    }

    [Fact]
    public async Task Counters_outside_the_tables_bounds_are_rebuilt_not_trusted()
    {
        var path = _directory.File("replay.map");
        var clock = new ManualTimeProvider(Start);
        using (var store = Open(path, clock))
        {
            Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", "n1", Start.AddMinutes(5)));
        }

        // No busy mark, but a heap larger than the table and a negative total: a node would be written outside the heap.
        WriteHeader(path, MappedReplayStore.HeapSizeAt, long.MaxValue);
        WriteHeader(path, MappedReplayStore.TotalAt, -5);
        using var reopened = Open(path, clock);
        Assert.Equal(ReplayCheckResult.Replayed, await reopened.TryRegisterAsync("asp_a", "n1", Start.AddMinutes(5)));
        Assert.Equal(1, await reopened.CountAsync());
        Assert.Equal(ReplayCheckResult.Accepted, await reopened.TryRegisterAsync("asp_a", "n2", Start.AddMinutes(5)));
        Assert.Equal(2, await reopened.CountAsync());
    }

    [Fact]
    public async Task A_heap_node_naming_a_slot_outside_the_table_is_refused_then_the_heap_is_rebuilt_from_the_slots()
    {
        var path = _directory.File("replay.map");
        var clock = new ManualTimeProvider(Start);
        using (var store = Open(path, clock))
        {
            Assert.Equal(ReplayCheckResult.Accepted, await store.TryRegisterAsync("asp_a", "n1", Start.AddMinutes(1)));
        }

        WriteHeader(path, MappedReplayStore.HeapOffsetFor(SmallTable.MaxEntries) + 8, int.MaxValue);
        using var tampered = Open(path, clock);
        clock.Set(Start.AddMinutes(2));
        Assert.Equal(ReplayCheckResult.StoreUnavailable, await tampered.TryRegisterAsync("asp_a", "n2", Start.AddMinutes(5)));

        // The slots are what the table is: the next lock holder rebuilds the heap from them, and n1 is reclaimed.
        Assert.Equal(ReplayCheckResult.Accepted, await tampered.TryRegisterAsync("asp_a", "n2", Start.AddMinutes(5)));
        Assert.Equal(ReplayCheckResult.Accepted, await tampered.TryRegisterAsync("asp_a", "n1", Start.AddMinutes(5)));
        Assert.Equal(2, await tampered.CountAsync());
    }

    [Fact]
    public void A_file_of_zeros_is_made_into_a_fenced_table_and_one_with_data_past_its_first_page_is_not()
    {
        var clock = new ManualTimeProvider(Start);

        // What a reset cut short leaves (it empties the file first): may have held entries, so fenced.
        var zeros = _directory.File("zeros.map");
        File.WriteAllBytes(zeros, new byte[200_000]);
        using (var store = Open(zeros, clock))
        {
            Assert.Equal(Start, store.RestartFence);
        }

        // An image that starts with zeros is still somebody's data.
        var image = _directory.File("disk.iso");
        var contents = new byte[200_000];
        contents[150_000] = 1;
        File.WriteAllBytes(image, contents);
        Assert.Throws<InvalidDataException>(() => Open(image, clock));
        Assert.Equal(contents, File.ReadAllBytes(image));
    }

    [Fact]
    public async Task A_table_in_use_is_not_emptied_by_an_opener_of_another_boot()
    {
        // Only a second machine sharing the file could do this (one machine's old processes died with its boot).
        var path = _directory.File("replay.map");
        var clock = new ManualTimeProvider(Start);
        using var inUse = Open(path, clock);
        Assert.Equal(ReplayCheckResult.Accepted, await inUse.TryRegisterAsync("asp_a", "n1", Start.AddMinutes(5)));

        Assert.Throws<IOException>(() => Open(path, clock, "boot-of-another-machine"));
        Assert.Equal(ReplayCheckResult.Replayed, await inUse.TryRegisterAsync("asp_a", "n1", Start.AddMinutes(5)));
        Assert.Equal(1, await inUse.CountAsync());
    }

    private static void WriteHeader(string path, int offset, long value)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        file.Position = offset;
        file.Write(bytes);
    }

    private static void CorruptOccupiedSlotPartition(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        var slot = new byte[MappedReplayStore.SlotBytes];
        for (long at = MappedReplayStore.HeaderBytes; at + slot.Length <= file.Length; at += slot.Length)
        {
            file.Position = at;
            file.ReadExactly(slot);
            if (BinaryPrimitives.ReadInt64LittleEndian(slot.AsSpan(MappedReplayStore.SlotExpiryAt)) != 0)
            {
                BinaryPrimitives.WriteInt32LittleEndian(slot.AsSpan(MappedReplayStore.SlotPartitionAt), int.MaxValue);
                file.Position = at;
                file.Write(slot);
                return;
            }
        }

        Assert.Fail("no occupied slot");
    }
}
