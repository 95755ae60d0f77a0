using System.Diagnostics.Metrics;
using AgentTrust.Attestation;
using AgentTrust.Cryptography;
using AgentTrust.Jose;

namespace AgentTrust.Tests.Attestation;

/// <summary>
/// The verification cache keyed by SHA-256 of the token (attestation.md §3.3 "cached per token hash"): a repeated token
/// skips signature and schema work, and the cache never makes a token valid that a full verification would refuse:
/// expiry against the clock, the issuer's current key for the kid, cnf and replay are checked on every presentation.
/// </summary>
public sealed class AttestationVerificationCacheTests : IDisposable
{
    private const string AliceKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    private static readonly AttestationPresentation Alice = new() { Stateless = true, PresenterId = "asp_" + new string('a', 32), SignerThumbprint = AliceKey };
    private static readonly AttestationPresentation Mallory = new() { Stateless = true, PresenterId = "asp_" + new string('b', 32), SignerThumbprint = "B" + new string('A', 42) };
    private readonly AttestationFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task ARepeatedToken_IsAHit_AndEveryPresentationStillVerifies()
    {
        using var metrics = new AttestationMetrics();
        var lookups = new List<string>();
        using var listener = Listen(metrics, lookups);
        var verifier = _f.Verifier(o => o with { Metrics = metrics });
        var token = _f.Honest();

        var verdicts = new[] { await verifier.VerifyAsync(token, Alice), await verifier.VerifyAsync(token, Alice), await verifier.VerifyAsync(token, Alice) };

        Assert.All(verdicts, v => Assert.True(v.Verified));
        Assert.All(verdicts, v => Assert.Equal(AttestationFixture.Issuer, v.Issuer));
        lock (lookups)
        {
            Assert.Equal(["miss", "hit", "hit"], lookups);
        }

        Assert.Equal(1, verifier.CachedTokens);
    }

    [Fact]
    public async Task AHit_NeverOutlivesTheToken_ExpiryIsCheckedAgainstTheClockEachTime()
    {
        var verifier = _f.Verifier();
        var token = _f.Honest();
        Assert.True((await verifier.VerifyAsync(token, Alice)).Verified);

        // exp = T0 + 300, skew 30 s: one second before exp + S still verifies, at exp + S it is expired.
        _f.Clock.Set(DateTimeOffset.FromUnixTimeSeconds(AttestationFixture.T0 + 329));
        var justInTime = await verifier.VerifyAsync(token, Alice);
        _f.Clock.Set(DateTimeOffset.FromUnixTimeSeconds(AttestationFixture.T0 + 330));
        var late = await verifier.VerifyAsync(token, Alice);

        Assert.True(justInTime.Verified);
        Assert.Equal(AttestationReason.Expired, late.Reason);
        Assert.Equal(0, verifier.CachedTokens);
    }

    [Fact]
    public async Task AHit_AfterTheKidWasWithdrawnOrReboundToAnotherKey_IsRefusedLikeAFreshToken()
    {
        var keys = new SwitchableKeys(_f.IssuerKey.PublicKey);
        var verifier = _f.Verifier(keys: keys);
        var token = _f.Honest();
        Assert.True((await verifier.VerifyAsync(token, Alice)).Verified);

        keys.Current = null;
        var withdrawn = await verifier.VerifyAsync(token, Alice);
        keys.Current = _f.AttackerKey.PublicKey;
        var rebound = await verifier.VerifyAsync(token, Alice);
        keys.Current = _f.IssuerKey.PublicKey;
        var restored = await verifier.VerifyAsync(token, Alice);

        Assert.Equal(AttestationReason.UnknownKeyId, withdrawn.Reason);
        Assert.Equal(AttestationReason.BadSignature, rebound.Reason);
        Assert.True(restored.Verified);
    }

    [Fact]
    public async Task AHit_StillEnforcesCnf_TheFirstPresenterRule_AndReplayAtInitialize()
    {
        var verifier = _f.Verifier();
        var bound = _f.Honest(AttestationFixture.Request(cnf: AliceKey));
        var unbound = _f.Honest();
        var handshake = _f.Honest();

        var boundByAlice = await verifier.VerifyAsync(bound, Alice);
        var boundByMallory = await verifier.VerifyAsync(bound, Mallory);
        var unboundByAlice = await verifier.VerifyAsync(unbound, Alice);
        var unboundByMallory = await verifier.VerifyAsync(unbound, Mallory);
        var first = await verifier.VerifyAsync(handshake);
        var again = await verifier.VerifyAsync(handshake);

        Assert.True(boundByAlice.Verified);
        Assert.Equal(AttestationReason.ConfirmationMismatch, boundByMallory.Reason);
        Assert.True(unboundByAlice.Verified);
        Assert.Equal(AttestationReason.Replay, unboundByMallory.Reason);
        Assert.True(first.Verified);
        Assert.Equal(AttestationReason.Replay, again.Reason);
    }

    [Fact]
    public async Task TheCacheIsBounded_AndDropsExpiredEntriesToMakeRoom()
    {
        var verifier = _f.Verifier(o => o with { VerificationCacheSize = 2 });
        foreach (var token in new[] { _f.Honest(), _f.Honest(), _f.Honest() })
        {
            Assert.True((await verifier.VerifyAsync(token, Alice)).Verified);
        }

        var full = verifier.CachedTokens;
        _f.Clock.Set(DateTimeOffset.FromUnixTimeSeconds(AttestationFixture.T0 + 400));
        var later = new AttestationTokenIssuer(_f.IssuerKey, AttestationFixture.Kid, AttestationFixture.Issuer, _f.Clock).Issue(AttestationFixture.Request());
        Assert.True((await verifier.VerifyAsync(later, Alice)).Verified);

        Assert.Equal(2, full);
        Assert.Equal(1, verifier.CachedTokens);
    }

    [Fact]
    public async Task SizeZero_TurnsTheCacheOff()
    {
        var verifier = _f.Verifier(o => o with { VerificationCacheSize = 0 });
        var token = _f.Honest();

        Assert.True((await verifier.VerifyAsync(token, Alice)).Verified);
        Assert.True((await verifier.VerifyAsync(token, Alice)).Verified);
        Assert.Equal(0, verifier.CachedTokens);
        Assert.Throws<ArgumentException>(() => _f.Verifier(o => o with { VerificationCacheSize = -1 }));
    }

    private static MeterListener Listen(AttestationMetrics metrics, List<string> lookups)
    {
        var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter) && instrument.Name == "agenttrust.attestation.verification_cache.lookups")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            lock (lookups)
            {
                lookups.Add((string)tags.ToArray().Single(t => t.Key == "result").Value!);
            }
        });
        listener.Start();
        return listener;
    }

    // An issuer key set whose key for the one kid can be withdrawn or replaced (rotation).
    private sealed class SwitchableKeys(VerificationKey initial) : IJwsKeyResolver
    {
        public VerificationKey? Current { get; set; } = initial;

        public ValueTask<JwsKeyResolution> ResolveAsync(string? keyId, SignatureAlgorithm algorithm, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(keyId == AttestationFixture.Kid && Current is { } key
                ? JwsKeyResolution.Found(key)
                : JwsKeyResolution.Failed(JwsStatus.UnknownKey, "unknown kid"));
    }
}
