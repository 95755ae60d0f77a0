using System.Text.Json.Nodes;
using AgentTrust.Audit;
using AgentTrust.Cryptography;
using AgentTrust.Errors;
using AgentTrust.Tests.Support;
using AgentTrust.TrustAuthority;

namespace AgentTrust.Tests.Audit;

/// <summary>
/// The anchoring task must survive whatever one attempt throws (it reports a failure and retries), and disposing it must
/// be safe: twice, and after failures.
/// </summary>
public sealed class AuditAnchorerRobustnessTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly AuditHead Head = new("sha256:" + new string('a', 64), 10, "sha256:" + new string('b', 64));
    private readonly TemporaryDirectory _dir = new("agenttrust-anchorer-");
    private readonly SigningKey _authorityKey = SigningKey.Generate(SignatureAlgorithm.EdDSA);

    public void Dispose()
    {
        _authorityKey.Dispose();
        _dir.Dispose();
    }

    private AuditAnchoringOptions Options(IAuditAnchorAuthority authority) => new()
    {
        Authority = authority,
        AnchorKey = _authorityKey.PublicKey,
        EveryRecords = 1,
        MinRetryDelay = TimeSpan.FromMilliseconds(1),
        MaxRetryDelay = TimeSpan.FromMilliseconds(1),
        ShutdownTimeout = TimeSpan.FromMilliseconds(50),
    };

    private static async Task<AuditAnchoringStatus> WaitForAsync(AuditAnchorer anchorer, Func<AuditAnchoringStatus, bool> predicate)
    {
        using var timeout = new CancellationTokenSource(Wait);
        return await anchorer.WaitForAsync(predicate, timeout.Token);
    }

    [Fact]
    public async Task A_log_refresh_that_throws_IOException_is_reported_and_retried_not_fatal()
    {
        var refreshes = 0;
        var anchorer = new AuditAnchorer(Options(new ScriptedAuthority(409, "stale_checkpoint")), _dir.Path, Head, TimeProvider.System, _ =>
        {
            Interlocked.Increment(ref refreshes);
            throw new IOException("the log file vanished (test)");
        });
        anchorer.Advanced(Head);
        var failing = await WaitForAsync(anchorer, s => s.ConsecutiveFailures >= 3);
        Assert.False(failing.Refused);
        Assert.Equal(McpsCode.InternalError, failing.LastFailureCode);
        Assert.Equal("anchor_attempt_failed", failing.LastFailureReason);
        Assert.True(Volatile.Read(ref refreshes) >= 3);

        // Disposing does not rethrow what the attempts threw, and a second dispose is harmless.
        await anchorer.DisposeAsync();
        await anchorer.DisposeAsync();
    }

    [Fact]
    public async Task Disposing_twice_is_harmless()
    {
        var anchorer = new AuditAnchorer(Options(new ScriptedAuthority(503, "status_unavailable")), _dir.Path, Head, TimeProvider.System);
        await anchorer.DisposeAsync();
        await anchorer.DisposeAsync();
    }

    /// <summary>An authority (or anything on the path to it) that answers every deposit with one unsigned error.</summary>
    internal sealed class ScriptedAuthority(int status, string reason, AuthorityResult<JsonObject>? held = null) : IAuditAnchorAuthority
    {
        public int Deposits;

        public Task<VerificationKey?> GetAnchorKeyAsync(CancellationToken cancellationToken) => Task.FromResult<VerificationKey?>(null);

        public Task<AuthorityResult<JsonObject>> AnchorAsync(AuditHead head, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Deposits);
            return Task.FromResult(AuthorityResult<JsonObject>.Failure(McpsCode.AuditChainBroken, reason, status));
        }

        public Task<AuthorityResult<JsonObject>> GetAnchorAsync(string logId, CancellationToken cancellationToken) =>
            Task.FromResult(held ?? AuthorityResult<JsonObject>.Failure(McpsCode.AuthorityUnreachable, "not_found", 404));
    }
}
