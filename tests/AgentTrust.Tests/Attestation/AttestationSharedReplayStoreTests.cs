using AgentTrust.Attestation;
using AgentTrust.Storage.Sqlite;
using AgentTrust.Tests.Support;
using Microsoft.Data.Sqlite;

namespace AgentTrust.Tests.Attestation;

/// <summary>Two verifiers (as two server processes) sharing the `stores` branch's SQLite replay store.</summary>
public sealed class AttestationSharedReplayStoreTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new("agenttrust-attest-replay-");
    private readonly AttestationFixture _f = new();

    public void Dispose()
    {
        _f.Dispose();
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }

    [Fact]
    public async Task A_token_used_on_one_server_is_a_replay_on_the_other()
    {
        var path = _directory.File("replay.db");
        await using var storeA = await SqliteReplayStore.OpenAsync(new SqliteReplayStoreOptions { DatabasePath = path, DurableCommits = false }, _f.Clock);
        await using var storeB = await SqliteReplayStore.OpenAsync(new SqliteReplayStoreOptions { DatabasePath = path, DurableCommits = false }, _f.Clock);
        var serverA = _f.Verifier(store: storeA);
        var serverB = _f.Verifier(store: storeB);
        var token = _f.Honest();
        Assert.True((await serverA.VerifyAsync(token)).Verified);
        var second = await serverB.VerifyAsync(token);
        Assert.Equal(AttestationReason.Replay, second.Reason);
        Assert.Equal(-32004, second.JsonRpcCode);

        // A rejected token leaves no row behind.
        var rejected = _f.Honest(AttestationFixture.Request(audience: "https://elsewhere.example"));
        Assert.Equal(AttestationReason.AudienceMismatch, (await serverB.VerifyAsync(rejected)).Reason);
        Assert.Equal(1, await storeA.CountAsync());
    }
}
