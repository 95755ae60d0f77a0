using System.Diagnostics;
using System.Net;
using AgentTrust.Attestation;
using AgentTrust.Cryptography;
using AgentTrust.Jose;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace AgentTrust.Jwks;

/// <summary>
/// One issuer's keys fetched from its JWKS over HTTPS (attestation.md §2): TTL from <c>Cache-Control: max-age</c>
/// clamped to [MinTtl, MaxTtl]; on an unknown <c>kid</c> an immediate single-flight refetch, at most once per
/// <see cref="JwksClientOptions.UnknownKidRefetchInterval"/>, the unknown kid negative-cached meanwhile; when refreshes
/// fail the last good set is served for at most <see cref="JwksClientOptions.MaxStale"/> past its expiry, then no keys
/// (fail closed). Each attempt has a timeout; failed attempts are retried (network, timeout, 5xx, 429) with jittered
/// exponential backoff; a Polly circuit breaker opens after consecutive failed refreshes and lets one probe through after
/// the break. Redirects are never followed. Parsed keys are cached.
/// </summary>
public sealed class HttpJwksKeyResolver : IJwsKeyResolver, IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly JwksClientOptions _options;
    private readonly TimeProvider _time;
    private readonly JwksMetrics? _metrics;
    private readonly string _tag;
    private readonly ResiliencePipeline _pipeline;
    private readonly SemaphoreSlim _fetchGate = new(1, 1);
    private readonly Lock _gate = new();
    private readonly Dictionary<string, DateTimeOffset> _unknownKids = new(StringComparer.Ordinal);
    private JsonWebKeySetResolver? _keys;
    private DateTimeOffset _expiresAt;
    private DateTimeOffset _lastUnknownKidRefetch = DateTimeOffset.MinValue;
    private Task<bool>? _refetchInFlight;
    private long _fetchCount;

    /// <summary>Creates a client. When <paramref name="httpClient"/> is null one is created that never follows redirects.</summary>
    /// <exception cref="ArgumentException">The URL is neither https nor loopback http.</exception>
    public HttpJwksKeyResolver(JwksClientOptions options, HttpClient? httpClient = null, TimeProvider? timeProvider = null, JwksMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!IssuerUrl.IsAcceptable(options.JwksUri?.OriginalString, out var reason))
        {
            throw new ArgumentException($"JWKS URL refused: {reason}", nameof(options));
        }

        _options = options;
        _ownsHttp = httpClient is null;
        _http = httpClient ?? new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };
        _time = timeProvider ?? TimeProvider.System;
        _metrics = metrics;
        _tag = options.IssuerTag ?? options.JwksUri!.Host;
        _pipeline = BuildPipeline();
        metrics?.RegisterKeyCount(() => new KeyValuePair<string, int>(_tag, Volatile.Read(ref _keys)?.KeyIds.Count ?? 0));
    }

    /// <summary>HTTP fetches attempted so far (for diagnostics and tests).</summary>
    public long FetchCount => Interlocked.Read(ref _fetchCount);

    /// <summary>The breaker state as last reported by Polly.</summary>
    public string BreakerState { get; private set; } = "closed";

    /// <inheritdoc />
    public async ValueTask<JwsKeyResolution> ResolveAsync(string? keyId, SignatureAlgorithm algorithm, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(keyId))
        {
            return JwsKeyResolution.Failed(JwsStatus.MissingKeyId, "kid missing");
        }

        var now = _time.GetUtcNow();
        JsonWebKeySetResolver? keys;
        DateTimeOffset expiresAt;
        lock (_gate)
        {
            keys = _keys;
            expiresAt = _expiresAt;
        }

        if (keys is null || now >= expiresAt)
        {
            var refreshed = await RefreshIfStaleAsync(cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                keys = _keys;
                expiresAt = _expiresAt;
            }

            if (!refreshed)
            {
                if (keys is null || now >= expiresAt + _options.MaxStale)
                {
                    _metrics?.Lookup(_tag, "unavailable");
                    return JwsKeyResolution.Failed(JwsStatus.KeySourceUnavailable, "JWKS unavailable");
                }

                _metrics?.Lookup(_tag, "stale");
                return Find(keys, keyId, "stale");
            }

            _metrics?.Lookup(_tag, "miss");
        }

        if (keys!.TryGetKey(keyId, out var key))
        {
            _metrics?.Lookup(_tag, "hit");
            return JwsKeyResolution.Found(key!);
        }

        return await RefetchForUnknownKidAsync(keyId, now, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Fetches now (for warm-up at start). Returns false when the fetch failed.</summary>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken = default)
    {
        await _fetchGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await FetchLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _fetchGate.Release();
        }
    }

    private JwsKeyResolution Find(JsonWebKeySetResolver keys, string keyId, string how) =>
        keys.TryGetKey(keyId, out var key) ? JwsKeyResolution.Found(key!) : JwsKeyResolution.Failed(JwsStatus.UnknownKey, $"unknown kid ({how})");

    private async ValueTask<JwsKeyResolution> RefetchForUnknownKidAsync(string keyId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Task<bool> refetch;
        lock (_gate)
        {
            if (_refetchInFlight is { } inFlight)
            {
                refetch = inFlight; // single flight: join the refetch already running
            }
            else if (_unknownKids.TryGetValue(keyId, out var until) && now < until)
            {
                return JwsKeyResolution.Failed(JwsStatus.UnknownKey, "unknown kid (negative-cached)");
            }
            else if (now - _lastUnknownKidRefetch < _options.UnknownKidRefetchInterval)
            {
                RememberUnknown(keyId, _lastUnknownKidRefetch + _options.UnknownKidRefetchInterval);
                return JwsKeyResolution.Failed(JwsStatus.UnknownKey, "unknown kid (refetch rate-limited)");
            }
            else
            {
                _lastUnknownKidRefetch = now;
                _metrics?.Lookup(_tag, "refetch");
                refetch = _refetchInFlight = RunRefetchAsync();
            }
        }

        await refetch.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            if (_keys is { } keys && keys.TryGetKey(keyId, out var key))
            {
                _unknownKids.Remove(keyId);
                return JwsKeyResolution.Found(key!);
            }

            RememberUnknown(keyId, now + _options.UnknownKidRefetchInterval);
            return JwsKeyResolution.Failed(JwsStatus.UnknownKey, "unknown kid");
        }
    }

    // The shared refetch runs on its own (bounded by the per-attempt timeout), not on one caller's token.
    private async Task<bool> RunRefetchAsync()
    {
        await Task.Yield();
        try
        {
            await _fetchGate.WaitAsync().ConfigureAwait(false);
            try
            {
                return await FetchLockedAsync(CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                _fetchGate.Release();
            }
        }
        finally
        {
            lock (_gate)
            {
                _refetchInFlight = null;
            }
        }
    }

    private void RememberUnknown(string keyId, DateTimeOffset until)
    {
        if (_unknownKids.Count >= 1024)
        {
            _unknownKids.Clear();
        }

        _unknownKids[keyId] = until;
    }

    private async Task<bool> RefreshIfStaleAsync(CancellationToken cancellationToken)
    {
        await _fetchGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_gate)
            {
                if (_keys is not null && _time.GetUtcNow() < _expiresAt)
                {
                    return true; // another caller refreshed while this one waited
                }
            }

            return await FetchLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _fetchGate.Release();
        }
    }

    private async Task<bool> FetchLockedAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var activity = AttestationActivity.Source.StartActivity("attestation.jwks_fetch");
        activity?.SetTag("attestation.issuer", _tag);
        try
        {
            var (keys, ttl) = await _pipeline.ExecuteAsync(FetchOnceAsync, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                _keys = keys;
                _expiresAt = _time.GetUtcNow() + ttl;
                _unknownKids.Clear();
            }

            _metrics?.Fetch(_tag, "success", Stopwatch.GetElapsedTime(started));
            return true;
        }
        catch (BrokenCircuitException)
        {
            _metrics?.Fetch(_tag, "breaker_open", null);
            return false;
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException or JwksFetchException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            _metrics?.Fetch(_tag, "error", Stopwatch.GetElapsedTime(started));
            return false;
        }
    }

    private async ValueTask<(JsonWebKeySetResolver, TimeSpan)> FetchOnceAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _fetchCount);
        using var request = new HttpRequestMessage(HttpMethod.Get, _options.JwksUri);
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new JwksFetchException(response.StatusCode);
        }

        if (response.Content.Headers.ContentLength > _options.MaxResponseBytes)
        {
            throw new JwksFetchException(response.StatusCode, "response too large");
        }

        var body = new byte[_options.MaxResponseBytes + 1];
        var length = 0;
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            int read;
            while ((read = await stream.ReadAsync(body.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
            {
                length += read;
                if (length > _options.MaxResponseBytes)
                {
                    throw new JwksFetchException(response.StatusCode, "response too large");
                }
            }
        }

        if (!JsonWebKeySetResolver.TryParse(body.AsMemory(0, length), out var keys, out var error))
        {
            throw new JwksFetchException(response.StatusCode, error);
        }

        var ttl = response.Headers.CacheControl?.MaxAge ?? _options.DefaultTtl;
        ttl = ttl < _options.MinTtl ? _options.MinTtl : ttl > _options.MaxTtl ? _options.MaxTtl : ttl;
        return (keys!, ttl);
    }

    private ResiliencePipeline BuildPipeline()
    {
        var failure = new PredicateBuilder().Handle<HttpRequestException>().Handle<TimeoutRejectedException>().Handle<JwksFetchException>();
        var retryable = new PredicateBuilder()
            .Handle<HttpRequestException>()
            .Handle<TimeoutRejectedException>()
            .Handle<JwksFetchException>(e => e.IsRetryable);
        var builder = new ResiliencePipelineBuilder { TimeProvider = _time };
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = failure,
            FailureRatio = 1.0,
            MinimumThroughput = Math.Max(2, _options.BreakerFailureThreshold),
            SamplingDuration = TimeSpan.FromMinutes(10),
            BreakDuration = _options.BreakDuration,
            OnOpened = _ => Transition("open"),
            OnHalfOpened = _ => Transition("half_open"),
            OnClosed = _ => Transition("closed"),
        });
        if (_options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = retryable,
                MaxRetryAttempts = _options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.RetryBaseDelay,
                MaxDelay = _options.RetryMaxDelay,
            });
        }

        builder.AddTimeout(_options.RequestTimeout);
        return builder.Build();
    }

    private ValueTask Transition(string to)
    {
        BreakerState = to;
        _metrics?.BreakerTransition(_tag, to);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _fetchGate.Dispose();
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }
}

/// <summary>A JWKS response that is not usable (status, size, content).</summary>
internal sealed class JwksFetchException : Exception
{
    public JwksFetchException(HttpStatusCode status, string? detail = null)
        : base($"JWKS fetch failed: HTTP {(int)status}{(detail is null ? "" : ": " + detail)}")
    {
        Status = status;
    }

    public JwksFetchException()
    {
    }

    public JwksFetchException(string message) : base(message)
    {
    }

    public JwksFetchException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public HttpStatusCode Status { get; }

    /// <summary>5xx and 429 are retried; other statuses and bad content are not.</summary>
    public bool IsRetryable => (int)Status >= 500 || Status == HttpStatusCode.TooManyRequests;
}
