using AgentTrust.Mcps.Tools;
using AgentTrust.Tests.Gateway.Support;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Mcps;

/// <summary>
/// The pin file is read once and kept in memory while it is unchanged; a change by another process (another gateway,
/// an operator's approval) is read again; two writers on one file never lose or replace each other's pins.
/// </summary>
public sealed class FileToolPinStoreCacheTests
{
    private static readonly string HashA = new('a', 64);
    private static readonly string HashB = new('b', 64);

    private static ToolPin Pin(string tool, string hash) => new("srv", tool, hash, null, DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task UnchangedFile_IsServedFromMemory_AChangedOneIsReadAgain()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("pins.json");
        using var store = new FileToolPinStore(path, new ManualTimeProvider(DateTimeOffset.UtcNow.AddMinutes(1)));
        Assert.True(await store.TryAddAsync(Pin("echo", HashA), default));
        var written = File.GetLastWriteTimeUtc(path);
        var original = await File.ReadAllBytesAsync(path);

        // Same size, same time stamp, unreadable content: served from memory, so the file was not parsed again.
        await File.WriteAllBytesAsync(path, Enumerable.Repeat((byte)'x', original.Length).ToArray());
        File.SetLastWriteTimeUtc(path, written);
        Assert.Equal(HashA, (await store.GetAsync("srv", default))["echo"].ToolHash);

        // Another process changes the file (an approval): the change is seen.
        using (var other = new FileToolPinStore(scratch.File("other.json")))
        {
            await other.ApproveAsync(Pin("echo", HashB), default);
        }

        File.Copy(scratch.File("other.json"), path, overwrite: true);
        File.SetLastWriteTimeUtc(path, written.AddSeconds(5));
        Assert.Equal(HashB, (await store.GetAsync("srv", default))["echo"].ToolHash);
    }

    [Fact]
    public async Task ASameSizeRewriteWithinOneClockTick_IsReadAgain_WhileTheWriteIsRecent()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("pins.json");
        var written = new DateTime(2026, 11, 1, 12, 0, 0, DateTimeKind.Utc);
        using var store = new FileToolPinStore(path, new ManualTimeProvider(new DateTimeOffset(written).AddSeconds(1)));
        await WritePinAsync(path, HashA, written);
        Assert.Equal(HashA, (await store.GetAsync("srv", default))["echo"].ToolHash);

        // Another process replaces the pin: same size, same last-write time (one tick of the file system's clock).
        await WritePinAsync(path, HashB, written);

        Assert.Equal(HashB, (await store.GetAsync("srv", default))["echo"].ToolHash);
    }

    [Fact]
    public async Task ACopyReadRightAfterAWrite_IsNotTrustedLater_ASameSizeRewriteInThatTickIsRead()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("pins.json");
        var written = new DateTime(2026, 11, 1, 12, 0, 0, DateTimeKind.Utc);
        var clock = new ManualTimeProvider(new DateTimeOffset(written).AddMilliseconds(100));
        using var store = new FileToolPinStore(path, clock);
        await WritePinAsync(path, HashA, written);
        Assert.Equal(HashA, (await store.GetAsync("srv", default))["echo"].ToolHash);

        // Rewritten within the same tick; the next look comes long after.
        await WritePinAsync(path, HashB, written);
        clock.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(HashB, (await store.GetAsync("srv", default))["echo"].ToolHash);
    }

    private static async Task WritePinAsync(string path, string hash, DateTime written)
    {
        await File.WriteAllTextAsync(path, $$"""{"version":1,"pins":[{"server":"srv","tool":"echo","tool_hash":"{{hash}}","pinned_at":"2026-11-01T12:00:00Z"}]}""");
        File.SetLastWriteTimeUtc(path, written);
    }

    [Fact]
    public async Task TwoWritersOnOneFile_NeverLoseOrReplaceEachOthersPins()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("pins.json");
        using var first = new FileToolPinStore(path);
        using var second = new FileToolPinStore(path);
        Assert.Empty(await second.GetAsync("srv", default)); // the second writer's memory now holds an empty file

        Assert.True(await first.TryAddAsync(Pin("echo", HashA), default));
        var replaced = await second.TryAddAsync(Pin("echo", HashB), default);
        Assert.True(await second.TryAddAsync(Pin("transfer", HashB), default));

        Assert.False(replaced);
        using var reader = new FileToolPinStore(path);
        var pins = await reader.GetAsync("srv", default);
        Assert.Equal(HashA, pins["echo"].ToolHash);
        Assert.Equal(HashB, pins["transfer"].ToolHash);
        Assert.Equal(HashA, (await second.GetAsync("srv", default))["echo"].ToolHash);
    }

    [Fact]
    public async Task ConcurrentWriters_AllPinsArrive()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("pins.json");
        var stores = Enumerable.Range(0, 4).Select(_ => new FileToolPinStore(path)).ToList();
        try
        {
            await Task.WhenAll(stores.Select((store, i) => Task.Run(async () =>
            {
                for (var n = 0; n < 10; n++)
                {
                    await store.TryAddAsync(Pin($"tool-{i}-{n}", HashA), default);
                }
            })));

            Assert.Equal(40, (await stores[0].GetAllAsync(default)).Count);
        }
        finally
        {
            stores.ForEach(s => s.Dispose());
        }
    }
}
