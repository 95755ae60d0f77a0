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

    protected override Task<IReplayStore> OpenStoreAsync(string location, ReplayStoreOptions options, TimeProvider timeProvider) =>
        Task.FromResult<IReplayStore>(MappedReplayStore.Open(new MappedReplayStoreOptions { FilePath = location, Limits = options, BootIdSource = () => "boot-1" }, timeProvider));

    public void Dispose() => _directory.Dispose();
}
