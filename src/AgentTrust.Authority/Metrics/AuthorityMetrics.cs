using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace AgentTrust.Authority.Metrics;

/// <summary>
/// Request and event counters of the server, published twice from the same recording points: through a
/// <see cref="Meter"/> named <c>AgentTrust.Authority</c> (for OpenTelemetry) and as Prometheus text at <c>/metrics</c>,
/// written by hand (text exposition format 0.0.4).
/// </summary>
public sealed class AuthorityMetrics : IDisposable
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "AgentTrust.Authority";

    private static readonly double[] Bounds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _requestCounter;
    private readonly Histogram<double> _durationHistogram;
    private readonly Counter<long> _eventCounter;
    private readonly ConcurrentDictionary<(string Route, int Status), StrongBox> _requests = new();
    private readonly ConcurrentDictionary<string, RouteHistogram> _durations = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox> _events = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _started;

    /// <summary>Creates the instruments.</summary>
    public AuthorityMetrics(TimeProvider time)
    {
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _started = time.GetUtcNow();
        _requestCounter = _meter.CreateCounter<long>("agenttrust.authority.requests", description: "HTTP requests by route and status");
        _durationHistogram = _meter.CreateHistogram<double>("agenttrust.authority.request.duration", unit: "s", description: "HTTP request duration");
        _eventCounter = _meter.CreateCounter<long>("agenttrust.authority.events", description: "Registrations, revocations, trust changes, checkpoints, refusals");
    }

    /// <summary>Records one finished request.</summary>
    public void RecordRequest(string route, int status, double seconds)
    {
        Interlocked.Increment(ref _requests.GetOrAdd((route, status), _ => new StrongBox()).Value);
        _durations.GetOrAdd(route, _ => new RouteHistogram()).Record(seconds);
        _requestCounter.Add(1, new KeyValuePair<string, object?>("route", route), new KeyValuePair<string, object?>("status", status));
        _durationHistogram.Record(seconds, new KeyValuePair<string, object?>("route", route));
    }

    /// <summary>Counts a domain event (registration, revocation, trust_level_change, checkpoint, rate_limited, admin_refused, …).</summary>
    public void RecordEvent(string name)
    {
        Interlocked.Increment(ref _events.GetOrAdd(name, _ => new StrongBox()).Value);
        _eventCounter.Add(1, new KeyValuePair<string, object?>("event", name));
    }

    /// <summary>The count of an event so far.</summary>
    public long EventCount(string name) => _events.TryGetValue(name, out var box) ? Interlocked.Read(ref box.Value) : 0;

    /// <summary>Writes every metric in the Prometheus text exposition format.</summary>
    public string WritePrometheusText()
    {
        var text = new StringBuilder(4096);
        text.Append("# HELP agenttrust_authority_requests_total HTTP requests by route and status.\n");
        text.Append("# TYPE agenttrust_authority_requests_total counter\n");
        foreach (var ((route, status), box) in _requests.OrderBy(p => p.Key.Route, StringComparer.Ordinal).ThenBy(p => p.Key.Status))
        {
            text.Append(CultureInfo.InvariantCulture, $"agenttrust_authority_requests_total{{route=\"{Escape(route)}\",status=\"{status}\"}} {Interlocked.Read(ref box.Value)}\n");
        }

        text.Append("# HELP agenttrust_authority_request_duration_seconds HTTP request duration by route.\n");
        text.Append("# TYPE agenttrust_authority_request_duration_seconds histogram\n");
        foreach (var (route, histogram) in _durations.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            histogram.WriteTo(text, Escape(route));
        }

        text.Append("# HELP agenttrust_authority_events_total Registrations, revocations, trust-level changes, checkpoints and refusals.\n");
        text.Append("# TYPE agenttrust_authority_events_total counter\n");
        foreach (var (name, box) in _events.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"agenttrust_authority_events_total{{event=\"{Escape(name)}\"}} {Interlocked.Read(ref box.Value)}\n");
        }

        text.Append("# HELP agenttrust_authority_uptime_seconds Seconds since the server started.\n");
        text.Append("# TYPE agenttrust_authority_uptime_seconds gauge\n");
        text.Append(CultureInfo.InvariantCulture, $"agenttrust_authority_uptime_seconds {(_time.GetUtcNow() - _started).TotalSeconds:0.###}\n");
        return text.ToString();
    }

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private sealed class StrongBox
    {
        public long Value;
    }

    private sealed class RouteHistogram
    {
        private readonly long[] _buckets = new long[Bounds.Length];
        private long _count;
        private long _sumMicroseconds;

        public void Record(double seconds)
        {
            for (var i = 0; i < Bounds.Length; i++)
            {
                if (seconds <= Bounds[i])
                {
                    Interlocked.Increment(ref _buckets[i]);
                    break;
                }
            }

            Interlocked.Increment(ref _count);
            Interlocked.Add(ref _sumMicroseconds, (long)(seconds * 1_000_000));
        }

        public void WriteTo(StringBuilder text, string route)
        {
            long cumulative = 0;
            for (var i = 0; i < Bounds.Length; i++)
            {
                cumulative += Interlocked.Read(ref _buckets[i]);
                text.Append(CultureInfo.InvariantCulture, $"agenttrust_authority_request_duration_seconds_bucket{{route=\"{route}\",le=\"{Bounds[i]}\"}} {cumulative}\n");
            }

            var count = Interlocked.Read(ref _count);
            text.Append(CultureInfo.InvariantCulture, $"agenttrust_authority_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {count}\n");
            text.Append(CultureInfo.InvariantCulture, $"agenttrust_authority_request_duration_seconds_sum{{route=\"{route}\"}} {Interlocked.Read(ref _sumMicroseconds) / 1_000_000.0}\n");
            text.Append(CultureInfo.InvariantCulture, $"agenttrust_authority_request_duration_seconds_count{{route=\"{route}\"}} {count}\n");
        }
    }
}
