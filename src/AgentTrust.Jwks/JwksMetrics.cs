using System.Diagnostics.Metrics;

namespace AgentTrust.Jwks;

/// <summary>JWKS instruments of attestation.md §10 on the <c>AgentTrust.Attestation</c> meter.</summary>
public sealed class JwksMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _lookups;
    private readonly Counter<long> _fetches;
    private readonly Histogram<double> _fetchDuration;
    private readonly Counter<long> _breakerTransitions;
    private readonly List<Func<KeyValuePair<string, int>>> _keyCounts = [];
    private readonly Lock _gate = new();

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>, or on an owned meter.</summary>
    public JwksMetrics(IMeterFactory? meterFactory = null)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create("AgentTrust.Attestation") ?? new Meter("AgentTrust.Attestation");
        _lookups = _meter.CreateCounter<long>("agenttrust.attestation.jwks.lookups");
        _fetches = _meter.CreateCounter<long>("agenttrust.attestation.jwks.fetches");
        _fetchDuration = _meter.CreateHistogram<double>("agenttrust.attestation.jwks.fetch.duration", "s");
        _breakerTransitions = _meter.CreateCounter<long>("agenttrust.attestation.jwks.breaker.transitions");
        _meter.CreateObservableGauge("agenttrust.attestation.jwks.keys", ObserveKeys);
    }

    internal void Lookup(string issuer, string result) =>
        _lookups.Add(1, new KeyValuePair<string, object?>("issuer", issuer), new KeyValuePair<string, object?>("result", result));

    internal void Fetch(string issuer, string outcome, TimeSpan? elapsed)
    {
        _fetches.Add(1, new KeyValuePair<string, object?>("issuer", issuer), new KeyValuePair<string, object?>("outcome", outcome));
        if (elapsed is { } e)
        {
            _fetchDuration.Record(e.TotalSeconds, new KeyValuePair<string, object?>("issuer", issuer));
        }
    }

    internal void BreakerTransition(string issuer, string to) =>
        _breakerTransitions.Add(1, new KeyValuePair<string, object?>("issuer", issuer), new KeyValuePair<string, object?>("to", to));

    internal void RegisterKeyCount(Func<KeyValuePair<string, int>> observe)
    {
        lock (_gate)
        {
            _keyCounts.Add(observe);
        }
    }

    private IEnumerable<Measurement<int>> ObserveKeys()
    {
        List<Func<KeyValuePair<string, int>>> copy;
        lock (_gate)
        {
            copy = [.. _keyCounts];
        }

        foreach (var observe in copy)
        {
            var (issuer, count) = observe();
            yield return new Measurement<int>(count, new KeyValuePair<string, object?>("issuer", issuer));
        }
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
