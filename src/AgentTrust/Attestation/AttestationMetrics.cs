using System.Diagnostics.Metrics;

namespace AgentTrust.Attestation;

/// <summary>
/// The instruments of attestation.md §10 on a <see cref="Meter"/> named <c>AgentTrust.Attestation</c>. One instance per
/// host (pass it to verifiers and issuers); created through an <see cref="IMeterFactory"/> when one is available.
/// </summary>
public sealed class AttestationMetrics : IDisposable
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "AgentTrust.Attestation";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _verifications;
    private readonly Histogram<double> _verificationDuration;
    private readonly UpDownCounter<long> _active;
    private readonly Counter<long> _replays;
    private readonly Counter<long> _tokensCreated;
    private readonly Histogram<double> _creationDuration;
    private readonly Counter<long> _cacheLookups;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>, or on an owned meter when null.</summary>
    public AttestationMetrics(IMeterFactory? meterFactory = null)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _verifications = _meter.CreateCounter<long>("agenttrust.attestation.verifications", description: "Attestation verifications by outcome and reason");
        _verificationDuration = _meter.CreateHistogram<double>("agenttrust.attestation.verification.duration", "s");
        _active = _meter.CreateUpDownCounter<long>("agenttrust.attestation.verifications.active");
        _replays = _meter.CreateCounter<long>("agenttrust.attestation.replays");
        _tokensCreated = _meter.CreateCounter<long>("agenttrust.attestation.tokens.created");
        _creationDuration = _meter.CreateHistogram<double>("agenttrust.attestation.token.creation.duration", "s");
        _cacheLookups = _meter.CreateCounter<long>("agenttrust.attestation.verification_cache.lookups", description: "Verification-cache lookups by token hash (result: hit, miss)");
    }

    /// <summary>The meter (for registering further instruments, such as the replay store gauge).</summary>
    public Meter Meter => _meter;

    internal void Started() => _active.Add(1);

    internal void Finished(AttestationVerdict verdict, string issuerTag, TimeSpan elapsed)
    {
        _active.Add(-1);
        var outcome = verdict.Verified ? "verified" : verdict.Reason == AttestationReason.Missing ? "missing" : "rejected";
        _verifications.Add(1,
            new KeyValuePair<string, object?>("outcome", outcome),
            new KeyValuePair<string, object?>("reason", verdict.Reason.ToWireName()),
            new KeyValuePair<string, object?>("issuer", issuerTag),
            new KeyValuePair<string, object?>("policy", verdict.Policy.ToWireName()));
        _verificationDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("outcome", outcome));
        if (verdict.Reason == AttestationReason.Replay)
        {
            _replays.Add(1, new KeyValuePair<string, object?>("issuer", issuerTag));
        }
    }

    internal void CacheLookup(bool hit) => _cacheLookups.Add(1, new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));

    internal void TokenCreated(string issuer, TimeSpan elapsed)
    {
        _tokensCreated.Add(1, new KeyValuePair<string, object?>("issuer", issuer));
        _creationDuration.Record(elapsed.TotalSeconds);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
