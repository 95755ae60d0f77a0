using System.Diagnostics.Metrics;
using AgentTrust.Attestation;

namespace AgentTrust.Tests.Attestation;

/// <summary>The advertised instruments are wired: exercised through the verifier and issuer entry points.</summary>
public sealed class AttestationMetricsTests : IDisposable
{
    private readonly AttestationFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task Verifications_replays_and_tokens_are_counted_with_bounded_issuer_tags()
    {
        using var metrics = new AttestationMetrics();
        var seen = new List<(string Instrument, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) =>
        {
            lock (seen)
            {
                seen.Add((instrument.Name, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));
            }
        });
        listener.Start();

        var issuer = new AttestationTokenIssuer(_f.IssuerKey, AttestationFixture.Kid, AttestationFixture.Issuer, _f.Clock, metrics);
        var verifier = _f.Verifier(o => o with { Metrics = metrics });
        var token = issuer.Issue(AttestationFixture.Request());
        await verifier.VerifyAsync(token);
        await verifier.VerifyAsync(token);
        await verifier.VerifyAsync(null);
        var forged = AttestationFixture.Payload();
        forged["iss"] = "https://attacker-chosen.example/" + Guid.NewGuid();
        await verifier.VerifyAsync(AttestationFixture.Forge(_f.AttackerKey, AttestationFixture.Header(), forged));

        lock (seen)
        {
            var verifications = seen.Where(s => s.Instrument == "agenttrust.attestation.verifications").Select(s => s.Tags).ToList();
            Assert.Equal(["verified", "rejected", "missing", "rejected"], verifications.Select(t => (string)t["outcome"]!));
            Assert.Equal(["none", "replay", "missing", "untrusted_issuer"], verifications.Select(t => (string)t["reason"]!));
            Assert.Equal([AttestationFixture.Issuer, AttestationFixture.Issuer, "untrusted", "untrusted"], verifications.Select(t => (string)t["issuer"]!));
            Assert.Single(seen, s => s.Instrument == "agenttrust.attestation.replays");
            Assert.Single(seen, s => s.Instrument == "agenttrust.attestation.tokens.created");
            var active = seen.Where(s => s.Instrument == "agenttrust.attestation.verifications.active").ToList();
            Assert.Equal(8, active.Count);
        }
    }
}

public sealed class AttestationTracingTests : IDisposable
{
    private readonly AttestationFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task Verify_and_issue_emit_spans_with_outcome_and_reason()
    {
        var spans = new List<System.Diagnostics.Activity>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = s => s.Name == AttestationActivity.SourceName,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                lock (spans)
                {
                    spans.Add(a);
                }
            },
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        var marker = Guid.NewGuid().ToString();
        using (var parent = new System.Diagnostics.Activity(marker).Start())
        {
            var token = _f.Honest();
            await _f.Verifier().VerifyAsync(token);
            await _f.Verifier().VerifyAsync(token);
        }

        lock (spans)
        {
            var mine = spans.Where(s => s.Parent?.OperationName == marker).ToList();
            Assert.Contains(mine, s => s.OperationName == "attestation.create_token");
            var verifies = mine.Where(s => s.OperationName == "attestation.verify").ToList();
            Assert.Equal(["none", "replay"], verifies.Select(s => (string?)s.GetTagItem("attestation.reason")));
        }
    }
}

public sealed class AttestationHookTests : IDisposable
{
    private readonly AttestationFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task Hooks_fire_and_a_throwing_hook_does_not_change_the_verdict()
    {
        var events = new List<string>();
        var hooks = new AttestationHooks
        {
            Verified = v => events.Add("verified"),
            Rejected = v => events.Add("rejected:" + v.Reason.ToWireName()),
            ReplayDetected = _ => throw new InvalidOperationException("observer bug"),
        };
        var verifier = _f.Verifier(o => o with { Hooks = hooks });
        var token = _f.Honest();
        Assert.True((await verifier.VerifyAsync(token)).Verified);
        Assert.Equal(AttestationReason.Replay, (await verifier.VerifyAsync(token)).Reason);
        Assert.Equal(["verified", "rejected:replay"], events);
    }
}
