using AgentTrust.Replay;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Replay;

public sealed class MappedReplayStoreConformanceTests : ReplayStoreConformanceTests, IDisposable
{
    private readonly TemporaryDirectory _directory = new("agenttrust-replay-mapped-");
    private int _files;

    protected override bool SharesAcrossInstances => true;

    protected override bool ReportsHolderToOthers => false;

    protected override Task<string> CreateLocationAsync() =>
        Task.FromResult(_directory.File($"replay-{Interlocked.Increment(ref _files)}.map"));

    // The tests that keep the default limits fill a few entries at most: a table for 10,000 keeps the files small (the
    // default million is 116 MB each).
    protected override Task<IReplayStore> OpenStoreAsync(string location, ReplayStoreOptions options, TimeProvider timeProvider) =>
        Task.FromResult<IReplayStore>(MappedReplayStore.Open(
            new MappedReplayStoreOptions
            {
                FilePath = location,
                Limits = ReferenceEquals(options, ReplayStoreOptions.Default) ? new ReplayStoreOptions { MaxEntries = 10_000, MaxEntriesPerPartition = 10_000 } : options,
                BootIdSource = () => "boot-1",
            },
            timeProvider));

    public void Dispose() => _directory.Dispose();
}
