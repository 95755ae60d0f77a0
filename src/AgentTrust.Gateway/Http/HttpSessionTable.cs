using System.Collections.Concurrent;
using AgentTrust.Gateway.Pipeline;

namespace AgentTrust.Gateway.Http;

/// <summary>
/// The pipelines of the HTTP sessions the gateway relays, keyed by <c>Mcp-Session-Id</c>, bounded in time and number:
/// a client that keeps opening sessions (or never closes them) cannot grow the table without bound. A session unused
/// for <see cref="IdleTimeout"/> is forgotten; at <see cref="Capacity"/> the least recently used one is forgotten to
/// make room. Forgetting is safe: a later request on that session id gets a fresh pipeline, without the attestation
/// verdict or pending requests of the old one, so it fails closed (it never inherits anything).
/// </summary>
internal sealed class HttpSessionTable
{
    private readonly ConcurrentDictionary<string, Entry> _sessions = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly Lock _evictionLock = new();

    public HttpSessionTable(TimeProvider time, TimeSpan idleTimeout, int capacity)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(idleTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _time = time;
        IdleTimeout = idleTimeout;
        Capacity = capacity;
    }

    /// <summary>How long an unused session is kept.</summary>
    public TimeSpan IdleTimeout { get; }

    /// <summary>The largest number of sessions kept.</summary>
    public int Capacity { get; }

    /// <summary>Sessions currently kept.</summary>
    public int Count => _sessions.Count;

    /// <summary>The pipeline of a live session (and marks it used), or null for an unknown or expired one.</summary>
    public RelayPipeline? Find(string sessionId)
    {
        if (!_sessions.TryGetValue(sessionId, out var entry))
        {
            return null;
        }

        var now = _time.GetUtcNow().UtcTicks;
        if (now - Volatile.Read(ref entry.LastUsed) > IdleTimeout.Ticks)
        {
            _sessions.TryRemove(new KeyValuePair<string, Entry>(sessionId, entry));
            return null;
        }

        Volatile.Write(ref entry.LastUsed, now);
        return entry.Pipeline;
    }

    /// <summary>
    /// Records the session the upstream created for <paramref name="pipeline"/>. Returns the number of sessions
    /// forgotten to make room (expired ones first, then the least recently used).
    /// </summary>
    public int Add(string sessionId, RelayPipeline pipeline)
    {
        var evicted = 0;
        if (_sessions.ContainsKey(sessionId))
        {
            return 0;
        }

        if (_sessions.Count >= Capacity)
        {
            evicted = MakeRoom();
        }

        _sessions.TryAdd(sessionId, new Entry(pipeline, _time.GetUtcNow().UtcTicks));
        return evicted;
    }

    /// <summary>Forgets a session (DELETE).</summary>
    public void Remove(string sessionId) => _sessions.TryRemove(sessionId, out _);

    private int MakeRoom()
    {
        lock (_evictionLock)
        {
            var now = _time.GetUtcNow().UtcTicks;
            var evicted = 0;
            KeyValuePair<string, Entry>? oldest = null;
            foreach (var session in _sessions)
            {
                var lastUsed = Volatile.Read(ref session.Value.LastUsed);
                if (now - lastUsed > IdleTimeout.Ticks)
                {
                    evicted += _sessions.TryRemove(session) ? 1 : 0;
                }
                else if (oldest is null || lastUsed < Volatile.Read(ref oldest.Value.Value.LastUsed))
                {
                    oldest = session;
                }
            }

            if (_sessions.Count >= Capacity && oldest is { } victim && _sessions.TryRemove(victim))
            {
                evicted++;
            }

            return evicted;
        }
    }

    private sealed class Entry(RelayPipeline pipeline, long lastUsed)
    {
        public readonly RelayPipeline Pipeline = pipeline;
        public long LastUsed = lastUsed;
    }
}
