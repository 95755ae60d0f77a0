using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Errors;
using AgentTrust.Json;
using AgentTrust.Receipts;
using AgentTrust.Replay;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Receipts;

/// <summary>Live-mode defences (receipts.md §5.2) and the signer's guards, each attacked.</summary>
public sealed class ReceiptLiveModeTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly ManualTimeProvider _time = new(Start);
    private readonly SigningKey _agentKey = SigningKey.Generate(SignatureAlgorithm.EdDSA);
    private readonly SigningKey _serverKey = SigningKey.Generate(SignatureAlgorithm.EdDSA);
    private readonly SigningKey _rootKey = SigningKey.Generate(SignatureAlgorithm.EdDSA);

    private ReceiptSigner Agent => new(_agentKey, "agent", "acme", _time);

    private ReceiptSigner Server => new(_serverKey, "server", "", _time);

    private ReceiptSigner Root => new(_rootKey, "root", "", _time);

    private PinnedReceiptKeys Anchors => new PinnedReceiptKeys()
        .Pin(Agent.PublicKey, ReceiptKeyRole.Agent)
        .Pin(Server.PublicKey, ReceiptKeyRole.Server)
        .Pin(Root.PublicKey, ReceiptKeyRole.DelegationRoot);

    private static ReceiptAction Action(string tool = "Bash", string target = "mcp://shell") => new(tool, new JsonObject { ["cmd"] = "ls" }, target);

    [Fact]
    public async Task A_fresh_anchored_receipt_is_trusted_once_and_a_replay_is_rejected()
    {
        var store = new InMemoryReplayStore(timeProvider: _time);
        var verifier = new ReceiptVerifier(Anchors, store, _time);
        var receipt = Agent.Sign(Action());
        var first = await verifier.VerifyAsync(receipt, ReceiptVerificationOptions.Live(1));
        Assert.True(first.Valid, first.Reason);
        Assert.Equal(ReceiptTrustLevel.Trusted, first.Level);
        Assert.Empty(first.Warnings);
        var second = await verifier.VerifyAsync(receipt, ReceiptVerificationOptions.Live(1));
        Assert.False(second.Valid);
        Assert.Equal("replay", second.Reason);

        // Forensic re-verification is not a replay.
        Assert.True((await verifier.VerifyAsync(receipt, ReceiptVerificationOptions.Forensic)).Valid);
    }

    [Fact]
    public async Task A_receipt_dated_before_the_stores_restart_fence_is_rejected_and_a_later_one_passes()
    {
        // The store lost registrations in an unclean restart at Start + 10 s: what was dated before could be a replay.
        var store = new FencedStore(new InMemoryReplayStore(timeProvider: _time), Start + TimeSpan.FromSeconds(10));
        var before = Agent.Sign(Action());
        _time.Advance(TimeSpan.FromMinutes(2));
        var after = Agent.Sign(Action());

        var refused = await new ReceiptVerifier(Anchors, store, _time).VerifyAsync(before, ReceiptVerificationOptions.Live(1));
        var accepted = await new ReceiptVerifier(Anchors, store, _time).VerifyAsync(after, ReceiptVerificationOptions.Live(1));

        Assert.False(refused.Valid);
        Assert.Equal("before_restart_fence", refused.Reason);
        Assert.True(accepted.Valid, accepted.Reason);
    }

    private sealed class FencedStore(IReplayStore inner, DateTimeOffset fence) : IReplayStore
    {
        public DateTimeOffset? RestartFence => fence;

        public ValueTask<ReplayCheckResult> TryRegisterAsync(string partition, string value, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
            inner.TryRegisterAsync(partition, value, expiresAt, cancellationToken);

        public ValueTask<long> PurgeExpiredAsync(CancellationToken cancellationToken = default) => inner.PurgeExpiredAsync(cancellationToken);

        public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) => inner.CountAsync(cancellationToken);
    }

    [Fact]
    public async Task A_rejected_receipt_does_not_consume_its_nonce()
    {
        var store = new InMemoryReplayStore(timeProvider: _time);
        var receipt = Agent.Sign(Action());
        var untrusted = await new ReceiptVerifier(new PinnedReceiptKeys(), store, _time).VerifyAsync(receipt, ReceiptVerificationOptions.Live(1));
        Assert.Equal("untrusted_key", untrusted.Reason);
        Assert.True((await new ReceiptVerifier(Anchors, store, _time).VerifyAsync(receipt, ReceiptVerificationOptions.Live(1))).Valid);
    }

    [Fact]
    public async Task Live_mode_requires_the_expected_version()
    {
        var verifier = new ReceiptVerifier(Anchors, null, _time);
        var compound = Agent.SignCompound(Action(), new JsonObject(), Start);
        var verdict = await verifier.VerifyAsync(compound, ReceiptVerificationOptions.Live(1));
        Assert.Equal("unexpected_version", verdict.Reason);
        await Assert.ThrowsAsync<ArgumentException>(async () => await verifier.VerifyAsync(compound, new ReceiptVerificationOptions()));
        var ok = await verifier.VerifyAsync(compound, ReceiptVerificationOptions.Live(2));
        Assert.True(ok.Valid);
        Assert.Contains("replay_not_checked", ok.Warnings);
    }

    [Theory]
    [InlineData(-301, false)]
    [InlineData(-299, true)]
    [InlineData(29, true)]
    [InlineData(31, false)]
    public async Task The_live_window_bounds_the_receipt_time(int offsetSeconds, bool valid)
    {
        var receipt = Agent.Sign(Action());
        _time.Advance(TimeSpan.FromSeconds(-offsetSeconds));
        var verdict = await new ReceiptVerifier(Anchors, null, _time).VerifyAsync(receipt, ReceiptVerificationOptions.Live(1));
        Assert.Equal(valid, verdict.Valid);
        if (!valid)
        {
            Assert.Equal("window", verdict.Reason);
        }
    }

    [Fact]
    public async Task Exp_is_enforced_live_and_reported_forensically()
    {
        var receipt = Agent.Sign(Action(), expires: Start.AddSeconds(10));
        _time.Advance(TimeSpan.FromSeconds(11));
        var verifier = new ReceiptVerifier(Anchors, null, _time);
        Assert.Equal("expired", (await verifier.VerifyAsync(receipt, ReceiptVerificationOptions.Live(1))).Reason);
        var forensic = await verifier.VerifyAsync(receipt, ReceiptVerificationOptions.Forensic);
        Assert.True(forensic.Valid);
        Assert.Contains("expired", forensic.Warnings);
    }

    [Fact]
    public async Task Params_hash_is_recomputed_even_under_a_valid_signature()
    {
        // A lenient signer signed params together with the hash of OTHER params: the signature holds, the binding does not.
        var json = Agent.Sign(Action()).ToJsonObject();
        json["action"]!["params_hash"] = ReceiptEncoding.ContentHash(new JsonObject { ["cmd"] = "rm -rf /" });
        var signature = _agentKey.Sign(ReceiptSignables.V1(json, CanonicalJsonOptions.Signet));
        json["sig"] = ReceiptEncoding.FormatSignature(signature);
        json["id"] = ReceiptEncoding.ComputeId("rec_", signature);
        var verdict = await new ReceiptVerifier(Anchors, null, _time).VerifyAsync(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()), ReceiptVerificationOptions.Forensic);
        Assert.False(verdict.Valid);
        Assert.Equal("params_hash_mismatch", verdict.Reason);
    }

    [Fact]
    public async Task Id_is_recomputed_from_the_signature()
    {
        var json = Agent.Sign(Action()).ToJsonObject();
        json["id"] = "rec_00000000000000000000000000000000";
        var verdict = await new ReceiptVerifier(Anchors, null, _time).VerifyAsync(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()), ReceiptVerificationOptions.Forensic);
        Assert.Equal("id_mismatch", verdict.Reason);
    }

    [Fact]
    public async Task Bilateral_checks_session_call_id_time_order_and_window()
    {
        var agentReceipt = Agent.Sign(Action() with { Session = "s-1", CallId = "n:7" });
        _time.Advance(TimeSpan.FromSeconds(1));
        var v3 = Server.Countersign(agentReceipt, new JsonObject { ["content"] = new JsonArray() }, ResponseOutcome.Executed);
        var verifier = new ReceiptVerifier(Anchors, new InMemoryReplayStore(timeProvider: _time), _time);
        Assert.Equal("session_mismatch", (await verifier.VerifyAsync(v3, ReceiptVerificationOptions.Live(3) with { ExpectedSession = "s-2" })).Reason);
        Assert.Equal("call_id_mismatch", (await verifier.VerifyAsync(v3, ReceiptVerificationOptions.Live(3) with { ExpectedCallId = "n:8" })).Reason);
        Assert.True((await verifier.VerifyAsync(v3, ReceiptVerificationOptions.Live(3) with { ExpectedSession = "s-1", ExpectedCallId = "n:7" })).Valid);

        // Only the server is anchored: the agent's self-asserted key keeps the verdict below Trusted.
        var serverOnly = new PinnedReceiptKeys().Pin(Server.PublicKey, ReceiptKeyRole.Server);
        Assert.Equal("untrusted_key", (await new ReceiptVerifier(serverOnly, null, _time).VerifyAsync(v3, ReceiptVerificationOptions.Live(3))).Reason);
        var forensic = await new ReceiptVerifier(serverOnly, null, _time).VerifyAsync(v3, ReceiptVerificationOptions.Forensic);
        Assert.Equal(ReceiptTrustLevel.SelfConsistent, forensic.Level);

        // A server response more than the bilateral window after the agent's request is rejected live.
        var late = Agent.Sign(Action());
        _time.Advance(TimeSpan.FromSeconds(301));
        var lateV3 = Server.Countersign(late, new JsonObject(), ResponseOutcome.Executed);
        Assert.Equal("window", (await new ReceiptVerifier(Anchors, null, _time).VerifyAsync(lateV3, ReceiptVerificationOptions.Live(3))).Reason);
        Assert.True((await new ReceiptVerifier(Anchors, null, _time).VerifyAsync(lateV3, ReceiptVerificationOptions.Forensic)).Valid);
    }

    [Fact]
    public void Only_v1_receipts_can_be_countersigned()
    {
        var compound = Agent.SignCompound(Action(), new JsonObject(), Start);
        Assert.Throws<ArgumentException>(() => Server.Countersign(compound, null, ResponseOutcome.Executed));
    }

    [Fact]
    public async Task V4_verifies_its_whole_chain_and_a_swapped_chain_fails()
    {
        var token = Root.Delegate(_agentKey.PublicKey, "agent", new DelegationScope(["Bash"], ["mcp://shell"], 0) { Expires = "2026-06-01T00:00:00Z" });
        var v4 = Agent.SignAuthorized(Action(), [token]);
        var verifier = new ReceiptVerifier(Anchors, null, _time);
        var live = await verifier.VerifyAsync(v4, ReceiptVerificationOptions.Live(4));
        Assert.True(live.Valid, live.Reason);
        Assert.Equal(ReceiptTrustLevel.Trusted, live.Level);

        // Forensic without an anchor covering ts before the token expired: Unanchored; with one: Trusted.
        Assert.Equal(ReceiptTrustLevel.Unanchored, (await verifier.VerifyAsync(v4, ReceiptVerificationOptions.Forensic)).Level);
        Assert.Equal(ReceiptTrustLevel.Trusted, (await verifier.VerifyAsync(v4, ReceiptVerificationOptions.Forensic with { AnchoredAt = Start.AddMinutes(1) })).Level);

        // A wider chain from the same root, swapped in after signing: the recomputed chain_hash no longer matches.
        var wider = Root.Delegate(_agentKey.PublicKey, "agent", new DelegationScope(["*"], ["*"], 0));
        var json = v4.ToJsonObject();
        json["authorization"]!["chain"] = new JsonArray(wider.ToJsonObject());
        var swapped = await verifier.VerifyAsync(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()), ReceiptVerificationOptions.Forensic);
        Assert.Equal("chain_hash_mismatch", swapped.Reason);
        Assert.Equal(McpsCode.DelegationInvalid, swapped.Code);
    }

    [Fact]
    public async Task V4_enforces_scope_depth_narrowing_and_expiry()
    {
        var verifier = new ReceiptVerifier(Anchors, null, _time);
        var narrow = Root.Delegate(_agentKey.PublicKey, "agent", new DelegationScope(["Read"], ["*"], 0));
        Assert.Equal("scope", (await verifier.VerifyAsync(Agent.SignAuthorized(Action("Bash"), [narrow]), ReceiptVerificationOptions.Live(4))).Reason);

        // root -> middle -> agent, but the root allowed no further delegation (max_depth 0).
        using var middleKey = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        var middle = new ReceiptSigner(middleKey, "middle", "", _time);
        var noDepth = Root.Delegate(middleKey.PublicKey, "middle", new DelegationScope(["*"], ["*"], 0));
        var leaf = middle.Delegate(_agentKey.PublicKey, "agent", new DelegationScope(["Bash"], ["*"], 0));
        Assert.Equal("scope", (await verifier.VerifyAsync(Agent.SignAuthorized(Action(), [noDepth, leaf]), ReceiptVerificationOptions.Live(4))).Reason);

        // Depth allowed, but the child widens the parent's tools.
        var parent = Root.Delegate(middleKey.PublicKey, "middle", new DelegationScope(["Read"], ["*"], 1));
        var widening = middle.Delegate(_agentKey.PublicKey, "agent", new DelegationScope(["Read", "Bash"], ["*"], 0));
        Assert.Equal("scope", (await verifier.VerifyAsync(Agent.SignAuthorized(Action("Read"), [parent, widening]), ReceiptVerificationOptions.Live(4))).Reason);
        var proper = middle.Delegate(_agentKey.PublicKey, "agent", new DelegationScope(["Read"], ["*"], 0));
        Assert.True((await verifier.VerifyAsync(Agent.SignAuthorized(Action("Read"), [parent, proper]), ReceiptVerificationOptions.Live(4))).Valid);

        // Expired at "now" in live mode even though valid at ts (no backdating past expiry).
        var shortLived = Root.Delegate(_agentKey.PublicKey, "agent", new DelegationScope(["*"], ["*"], 0) { Expires = ReceiptEncoding.FormatTimestamp(Start.AddSeconds(5)) });
        var receipt = Agent.SignAuthorized(Action(), [shortLived]);
        _time.Advance(TimeSpan.FromSeconds(10));
        var expired = await verifier.VerifyAsync(receipt, ReceiptVerificationOptions.Live(4));
        Assert.Equal("expired", expired.Reason);
        Assert.Equal(McpsCode.DelegationInvalid, expired.Code);
    }

    [Fact]
    public void Delegation_creation_rules_are_enforced()
    {
        Assert.Throws<ArgumentException>(() => Root.Delegate(_agentKey.PublicKey, "agent", new DelegationScope(["*", "Bash"], ["*"], 0)));
        Assert.Throws<ArgumentException>(() => Root.Delegate(_agentKey.PublicKey, "agent", new DelegationScope([], ["*"], 0)));
        Assert.Throws<ArgumentException>(() => Root.Delegate(_agentKey.PublicKey, "agent", new DelegationScope(["*"], ["*"], 0) { Expires = "tomorrow" }));
        Assert.Throws<ArgumentException>(() => Root.Delegate(_agentKey.PublicKey, "", new DelegationScope(["*"], ["*"], 0)));
        var token = Root.Delegate(_rootKey.PublicKey, "someone-else", new DelegationScope(["*"], ["*"], 0));
        Assert.Throws<ArgumentException>(() => Agent.SignAuthorized(Action(), [token]));
    }

    [Fact]
    public void The_signer_refuses_unsafe_integers_and_bad_hashes()
    {
        var e = Assert.Throws<CanonicalJsonException>(() => Agent.Sign(new ReceiptAction("t", JsonNode.Parse("""{"n":9007199254740992}"""), "mcp://x")));
        Assert.Equal("unsafe_number", e.Error.Reason);
        Assert.Throws<ArgumentException>(() => Agent.Sign(new ReceiptAction("t", null, "mcp://x") { ParamsHash = "sha256:ABC" }));
        using var es256 = SigningKey.Generate(SignatureAlgorithm.ES256);
        Assert.Throws<ArgumentException>(() => new ReceiptSigner(es256, "p256"));
    }

    [Fact]
    public async Task Bad_input_yields_a_verdict_never_an_exception()
    {
        var verifier = new ReceiptVerifier(Anchors, null, _time);
        foreach (var text in (string[])["", "[]", "{\"v\":1}", "{\"v\":9}", "{\"v\":1,\"v\":1}", "{\"v\":\"1\"}", "{\"v\":1.5}", new string('[', 100) + new string(']', 100)])
        {
            var verdict = await verifier.VerifyAsync(System.Text.Encoding.UTF8.GetBytes(text), ReceiptVerificationOptions.Forensic);
            Assert.False(verdict.Valid);
            Assert.NotNull(verdict.Code);
        }
    }

    public void Dispose()
    {
        _agentKey.Dispose();
        _serverKey.Dispose();
        _rootKey.Dispose();
    }
}
