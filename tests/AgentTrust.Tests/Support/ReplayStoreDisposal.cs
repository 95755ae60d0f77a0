using AgentTrust.Replay;

namespace AgentTrust.Tests.Support;

/// <summary>Closes a replay store whichever way its backend is disposed (asynchronously or not).</summary>
internal static class ReplayStoreDisposal
{
    public static async ValueTask CloseAsync(this IReplayStore store)
    {
        switch (store)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }
}
