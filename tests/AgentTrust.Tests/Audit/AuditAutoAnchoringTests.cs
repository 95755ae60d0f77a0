using System.Text.Json.Nodes;
using AgentTrust.Audit;
using AgentTrust.Cryptography;
using AgentTrust.Errors;
using AgentTrust.Tests.Authority;
using AgentTrust.Tests.Support;
using AgentTrust.TrustAuthority;

namespace AgentTrust.Tests.Audit;

/// <summary>
/// Automatic anchoring of the audit writer at a real in-process Trust Authority (receipts.md §7.6): every N records, on
/// the timer, at shutdown; retries while the authority is down; refusals surfaced; unverifiable answers never stored.
/// </summary>
public sealed class AuditAutoAnchoringTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly AuditFixture _fx = new();
    private readonly SigningKey _logKey = SigningKey.Generate(SignatureAlgorithm.EdDSA);
    private readonly SwitchableHandler _network = new();
    private AuthorityTestHost _host = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _host = await AuthorityTestHost.StartAsync();
        _http = new HttpClient(_network) { BaseAddress = _host.Server.BaseAddress };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
        _logKey.Dispose();
        _fx.Dispose();
    }

    private VerificationKey AnchorKey => _host.Keys.AnchorKey.PublicKey;

    private TrustAuthorityAuditAnchors Authority() =>
        new(new TrustAuthorityClient(_http, new TrustAuthorityClientOptions { AnchorKey = AnchorKey }, _host.Clock), _logKey);

    private AuditAnchoringOptions Anchoring(IAuditAnchorAuthority? authority = null) => new()
    {
        Authority = authority ?? Authority(),
        AnchorKey = AnchorKey,
        ShutdownTimeout = TimeSpan.FromSeconds(5),
    };

    private Task<AuditLog> OpenAsync(AuditAnchoringOptions anchoring, TimeProvider? time = null) =>
        AuditLog.OpenAsync(_fx.Options with { Anchoring = anchoring, Time = time ?? _fx.Time });

    private static async Task<AuditAnchoringStatus> WaitForAsync(AuditLog log, Func<AuditAnchoringStatus, bool> predicate)
    {
        using var timeout = new CancellationTokenSource(Wait);
        return await log.Anchorer!.WaitForAsync(predicate, timeout.Token);
    }

    private string AnchorPath(long count) => Path.Combine(_fx.Directory, AuditAnchor.FolderName, AuditAnchor.FileName(count));

    private AuditAnchor ReadAnchor(long count) => AuditAnchor.TryParse(File.ReadAllBytes(AnchorPath(count)), out _)!;

    private string[] AnchorFiles => Directory.Exists(Path.Combine(_fx.Directory, AuditAnchor.FolderName))
        ? [.. Directory.GetFiles(Path.Combine(_fx.Directory, AuditAnchor.FolderName)).Select(Path.GetFileName).Order(StringComparer.Ordinal)!]
        : [];

    [Fact]
    public async Task Anchors_at_every_hundred_records_and_the_final_head_at_shutdown()
    {
        var heads = new Dictionary<long, string>();
        await using (var log = await OpenAsync(Anchoring()))
        {
            Assert.Equal(0, log.AnchoringStatus!.AnchoredRecordCount);
            for (var round = 0; round < 2; round++)
            {
                var results = await _fx.AppendAsync(log, 100, round * 100);
                heads[results[^1].RecordNumber] = results[^1].RecordHash;
                var status = await WaitForAsync(log, s => s.AnchoredRecordCount == (round + 1) * 100);
                Assert.Equal(0, status.ConsecutiveFailures);
            }

            heads[250] = (await _fx.AppendAsync(log, 50, 200))[^1].RecordHash;
            Assert.Equal(200, log.AnchoringStatus!.AnchoredRecordCount);
        }

        Assert.Equal([AuditAnchor.FileName(100), AuditAnchor.FileName(200), AuditAnchor.FileName(250)], AnchorFiles);
        foreach (var (count, hash) in heads)
        {
            var anchor = ReadAnchor(count);
            Assert.True(anchor.IsSignedByAny([AnchorKey]));
            Assert.Equal(hash, anchor.RecordHash);
        }

        // The authority holds the final head, and the automatic anchors catch a tail cut below it.
        var held = await _host.Client().GetAnchorAsync(ReadAnchor(250).LogId);
        Assert.Equal(250, held.Value!["record_count"]!.GetValue<long>());
        Assert.True((await _fx.VerifyAsync(signatures: false, anchorKeys: [AnchorKey])).Valid);
        await File.WriteAllLinesAsync(_fx.SingleFile, File.ReadAllLines(_fx.SingleFile).Take(240));
        var report = await _fx.VerifyAsync(signatures: false, anchorKeys: [AnchorKey]);
        Assert.Equal("tail_truncated", report.FirstBreak!.Reason);
        Assert.Equal(McpsCode.AuditChainBroken, report.FirstBreak.Code);
    }

    [Fact]
    public async Task The_timer_anchors_fewer_than_a_hundred_records()
    {
        var clock = new ManualTimerClock(_fx.Time.GetUtcNow());
        await using var log = await OpenAsync(Anchoring(), clock);
        var head = (await _fx.AppendAsync(log, 5))[^1];
        Assert.Equal(0, log.AnchoringStatus!.AnchoredRecordCount);

        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, log.AnchoringStatus!.AnchoredRecordCount);
        clock.Advance(TimeSpan.FromSeconds(1));
        await WaitForAsync(log, s => s.AnchoredRecordCount == 5);
        Assert.Equal(head.RecordHash, ReadAnchor(5).RecordHash);
    }

    [Fact]
    public async Task While_the_authority_is_down_appends_succeed_and_anchoring_catches_up_with_the_latest_head()
    {
        var clock = new ManualTimerClock(_fx.Time.GetUtcNow());
        await using var log = await OpenAsync(Anchoring(), clock);
        _network.Down = true;
        Assert.Equal(150, (await _fx.AppendAsync(log, 150)).Count);
        var failing = await WaitForAsync(log, s => s.ConsecutiveFailures >= 1);
        Assert.Equal(McpsCode.AuthorityUnreachable, failing.LastFailureCode);
        Assert.False(failing.Refused);

        // Still down at the first retry: the delay doubles; meanwhile more records arrive.
        await clock.WaitForOneShotTimerAsync();
        clock.Advance(TimeSpan.FromSeconds(1));
        await WaitForAsync(log, s => s.ConsecutiveFailures >= 2);
        var last = (await _fx.AppendAsync(log, 30, 150))[^1];
        Assert.Empty(AnchorFiles);

        _network.Down = false;
        await clock.WaitForOneShotTimerAsync();
        clock.Advance(TimeSpan.FromSeconds(2));
        var caughtUp = await WaitForAsync(log, s => s.AnchoredRecordCount == 180);
        Assert.Equal(0, caughtUp.ConsecutiveFailures);
        Assert.Null(caughtUp.LastFailureReason);
        Assert.Equal([AuditAnchor.FileName(180)], AnchorFiles);
        Assert.Equal(last.RecordHash, ReadAnchor(180).RecordHash);
    }

    [Fact]
    public async Task A_rewritten_tail_is_refused_by_the_authority_and_the_status_says_so()
    {
        await using (var log = await OpenAsync(Anchoring()))
        {
            await _fx.AppendAsync(log, 100);
            await WaitForAsync(log, s => s.AnchoredRecordCount == 100);
        }

        var anchored = File.ReadAllBytes(AnchorPath(100));

        // Cut the last ten records and write ten others: the same count, a different head (a fork).
        await File.WriteAllLinesAsync(_fx.SingleFile, File.ReadAllLines(_fx.SingleFile).Take(90));
        await using (var log = await OpenAsync(Anchoring()))
        {
            await _fx.AppendAsync(log, 10, 1000);
            var refused = await WaitForAsync(log, s => s.Refused);
            Assert.Equal(McpsCode.AuditChainBroken, refused.LastFailureCode);
            Assert.Equal("fork", refused.LastFailureReason);
            Assert.Equal(0, refused.AnchoredRecordCount);

            // Anchoring stays stopped: a later, higher head would hide the fork from the authority.
            await _fx.AppendAsync(log, 100, 2000);
            Assert.True(log.AnchoringStatus!.Refused);
        }

        Assert.Equal([AuditAnchor.FileName(100)], AnchorFiles);
        Assert.Equal(anchored, File.ReadAllBytes(AnchorPath(100)));
        var held = await _host.Client().GetAnchorAsync(ReadAnchor(100).LogId);
        Assert.Equal(100, held.Value!["record_count"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_cut_tail_is_refused_as_a_lower_head_at_shutdown()
    {
        await using (var log = await OpenAsync(Anchoring()))
        {
            await _fx.AppendAsync(log, 100);
            await WaitForAsync(log, s => s.AnchoredRecordCount == 100);
        }

        await File.WriteAllLinesAsync(_fx.SingleFile, File.ReadAllLines(_fx.SingleFile).Take(60));
        var log2 = await OpenAsync(Anchoring());
        await log2.DisposeAsync();
        Assert.True(log2.AnchoringStatus!.Refused);
        Assert.Equal("stale_checkpoint", log2.AnchoringStatus.LastFailureReason);
    }

    [Fact]
    public async Task A_higher_head_another_writer_anchored_first_is_caught_up_not_reported_as_a_refusal()
    {
        // Two writers share the directory (one lock). B's last own head (50) is below what A anchored (150).
        var b = await OpenAsync(Anchoring());
        await _fx.AppendAsync(b, 50);
        await using (var a = await OpenAsync(Anchoring()))
        {
            await _fx.AppendAsync(a, 100, 50);
        }

        Assert.Equal(150, ReadAnchor(150).RecordCount);
        await b.DisposeAsync();
        Assert.False(b.AnchoringStatus!.Refused, b.AnchoringStatus.LastFailureReason);
        Assert.Equal(150, b.AnchoringStatus.AnchoredRecordCount);
    }

    [Theory]
    [InlineData(TamperingAuthority.Mode.SignedByAnotherKey, McpsCode.InvalidSignature, "anchor_untrusted")]
    [InlineData(TamperingAuthority.Mode.AnotherHead, McpsCode.AuditChainBroken, "anchor_mismatch")]
    [InlineData(TamperingAuthority.Mode.AnotherLog, McpsCode.AuditChainBroken, "anchor_mismatch")]
    [InlineData(TamperingAuthority.Mode.BadSignature, McpsCode.InvalidSignature, "anchor_bad_signature")]
    [InlineData(TamperingAuthority.Mode.Throws, McpsCode.AuthorityUnreachable, "status_unavailable")]
    public async Task An_anchor_that_does_not_verify_is_never_stored(TamperingAuthority.Mode mode, McpsCode code, string reason)
    {
        using var forger = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        var authority = new TamperingAuthority(Authority(), mode, forger);
        var log = await OpenAsync(Anchoring(authority) with { ShutdownTimeout = TimeSpan.FromMilliseconds(1) });
        await using (log)
        {
            await _fx.AppendAsync(log, 100);
            var failed = await WaitForAsync(log, s => s.ConsecutiveFailures >= 1);
            Assert.Equal(code, failed.LastFailureCode);
            Assert.Equal(reason, failed.LastFailureReason);
            Assert.False(failed.Refused);
        }

        Assert.Equal(0, log.AnchoringStatus!.AnchoredRecordCount);
        Assert.Empty(AnchorFiles);
    }

    [Fact]
    public async Task A_log_without_anchoring_has_no_status()
    {
        await using var log = await _fx.OpenAsync();
        Assert.Null(log.AnchoringStatus);
    }

    /// <summary>Fails every request with a connection error while <see cref="Down"/>.</summary>
    private sealed class SwitchableHandler() : DelegatingHandler(new HttpClientHandler())
    {
        public volatile bool Down;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Down ? throw new HttpRequestException("connection refused (test)") : base.SendAsync(request, cancellationToken);
    }

    /// <summary>An authority (or a man in the middle) whose answers must not be trusted.</summary>
    public sealed class TamperingAuthority(IAuditAnchorAuthority inner, TamperingAuthority.Mode mode, SigningKey forger) : IAuditAnchorAuthority
    {
        public enum Mode
        {
            SignedByAnotherKey,
            AnotherHead,
            AnotherLog,
            BadSignature,
            Throws,
        }

        public Task<VerificationKey?> GetAnchorKeyAsync(CancellationToken cancellationToken) => inner.GetAnchorKeyAsync(cancellationToken);

        public Task<AuthorityResult<JsonObject>> GetAnchorAsync(string logId, CancellationToken cancellationToken) => inner.GetAnchorAsync(logId, cancellationToken);

        public async Task<AuthorityResult<JsonObject>> AnchorAsync(AuditHead head, CancellationToken cancellationToken)
        {
            var other = "sha256:" + new string('7', 64);
            switch (mode)
            {
                case Mode.SignedByAnotherKey:
                    return AuthorityResult<JsonObject>.Success(JsonNode.Parse(AuditAnchor.Create(head, forger, "test-ta").ToJsonString())!.AsObject());
                case Mode.AnotherHead:
                    // A genuine anchor of the authority, of a head other than the one deposited.
                    return await inner.AnchorAsync(head with { RecordHash = other }, cancellationToken);
                case Mode.AnotherLog:
                    return await inner.AnchorAsync(head with { LogId = other }, cancellationToken);
                case Mode.Throws:
                    throw new InvalidOperationException("a broken authority implementation");
                default:
                    var answer = await inner.AnchorAsync(head, cancellationToken);
                    answer.Value!["anchored_at"] = "2030-01-01T00:00:00.000Z";
                    return answer;
            }
        }
    }
}
