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

    private AuthorityResult<JsonObject> Held(AuditHead head, SigningKey? signer = null) =>
        AuthorityResult<JsonObject>.Success(JsonNode.Parse(AuditAnchor.Create(head, signer ?? _authorityKey, "test-ta").ToJsonString())!.AsObject());

    [Theory]
    [InlineData(409, "fork")]
    [InlineData(409, "stale_checkpoint")]
    [InlineData(403, "wrong_submitter")]
    public async Task An_unsigned_refusal_the_authority_does_not_confirm_is_retried_not_obeyed(int status, string reason)
    {
        // Anything on the path can answer 403/409; the authority itself holds no anchor of the log.
        var authority = new ScriptedAuthority(status, reason);
        var anchorer = new AuditAnchorer(Options(authority), _dir.Path, Head, TimeProvider.System);
        await using (anchorer)
        {
            anchorer.Advanced(Head);
            var failing = await WaitForAsync(anchorer, s => s.ConsecutiveFailures >= 3);
            Assert.False(failing.Refused);
            Assert.False(failing.ClaimedByAnotherKey);
            Assert.Equal("refusal_unconfirmed", failing.LastFailureReason);
            Assert.True(Volatile.Read(ref authority.Deposits) >= 3);
        }
    }

    [Fact]
    public async Task A_refusal_backed_by_an_anchor_signed_by_another_key_is_not_obeyed()
    {
        using var forger = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        var authority = new ScriptedAuthority(409, "stale_checkpoint", Held(Head with { RecordCount = 50 }, forger));
        var anchorer = new AuditAnchorer(Options(authority), _dir.Path, Head, TimeProvider.System);
        await using (anchorer)
        {
            anchorer.Advanced(Head);
            var failing = await WaitForAsync(anchorer, s => s.ConsecutiveFailures >= 2);
            Assert.False(failing.Refused);
        }
    }

    [Fact]
    public async Task A_refusal_the_authoritys_signed_record_confirms_stops_anchoring()
    {
        var authority = new ScriptedAuthority(409, "stale_checkpoint", Held(Head with { RecordCount = 50, RecordHash = "sha256:" + new string('c', 64) }));
        var anchorer = new AuditAnchorer(Options(authority), _dir.Path, Head, TimeProvider.System);
        await using (anchorer)
        {
            anchorer.Advanced(Head);
            var refused = await WaitForAsync(anchorer, s => s.Refused);
            Assert.False(refused.ClaimedByAnotherKey);
            Assert.Equal("stale_checkpoint", refused.LastFailureReason);
        }
    }

    [Fact]
    public async Task A_confirmed_wrong_submitter_is_its_own_alert_not_a_fork()
    {
        var authority = new ScriptedAuthority(403, "wrong_submitter", Held(Head with { RecordCount = 3, RecordHash = "sha256:" + new string('d', 64) }));
        var anchorer = new AuditAnchorer(Options(authority), _dir.Path, Head, TimeProvider.System);
        await using (anchorer)
        {
            anchorer.Advanced(Head);
            var refused = await WaitForAsync(anchorer, s => s.Refused);
            Assert.True(refused.ClaimedByAnotherKey);
            Assert.Equal("wrong_submitter", refused.LastFailureReason);
        }
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
