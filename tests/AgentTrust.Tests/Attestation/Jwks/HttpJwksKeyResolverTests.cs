using System.Diagnostics.Metrics;
using AgentTrust.Attestation;
using AgentTrust.Cryptography;
using AgentTrust.Jose;
using AgentTrust.Jwks;
using AgentTrust.Keys;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Attestation.Jwks;

/// <summary>The HTTP JWKS client against a real loopback server: caching, rotation, outage, slowness, breaker, limits.</summary>
public sealed class HttpJwksKeyResolverTests : IDisposable
{
    private readonly LoopbackJwksServer _server = new();
    private readonly AttestationFixture _f = new();
    private readonly SigningKey _rotated = SigningKey.Generate(SignatureAlgorithm.EdDSA);

    public void Dispose()
    {
        _server.Dispose();
        _f.Dispose();
        _rotated.Dispose();
    }

    private static string Jwks(params (VerificationKey Key, string Kid)[] keys) =>
        JsonWebKeySet.Create(keys.Select(k => k.Key), k => keys.First(x => x.Key.Equals(k)).Kid).ToJson();

    private HttpJwksKeyResolver Client(Func<JwksClientOptions, JwksClientOptions>? configure = null, JwksMetrics? metrics = null)
    {
        var options = new JwksClientOptions
        {
            JwksUri = _server.Url,
            IssuerTag = AttestationFixture.Issuer,
            MaxRetries = 0,
            RetryBaseDelay = TimeSpan.FromMilliseconds(1),
            RequestTimeout = TimeSpan.FromSeconds(5),
        };
        return new HttpJwksKeyResolver(configure is null ? options : configure(options), timeProvider: _f.Clock, metrics: metrics);
    }

    [Fact]
    public async Task End_to_end_verification_with_keys_from_the_server_and_cache_hits()
    {
        _server.Body = Jwks((_f.IssuerKey.PublicKey, AttestationFixture.Kid));
        using var client = Client();
        var verifier = _f.Verifier(keys: client);
        Assert.True((await verifier.VerifyAsync(_f.Honest())).Verified);
        Assert.True((await verifier.VerifyAsync(_f.Honest())).Verified);
        Assert.Equal(1, _server.Requests);
    }

    [Fact]
    public async Task Rotation_unknown_kid_triggers_one_rate_limited_refetch()
    {
        _server.Body = Jwks((_f.IssuerKey.PublicKey, AttestationFixture.Kid));
        using var client = Client();
        Assert.NotNull((await client.ResolveAsync(AttestationFixture.Kid, SignatureAlgorithm.EdDSA)).Key);

        _server.Body = Jwks((_f.IssuerKey.PublicKey, AttestationFixture.Kid), (_rotated.PublicKey, "anthropic-2026-01"));
        var rotated = new AttestationTokenIssuer(_rotated, "anthropic-2026-01", AttestationFixture.Issuer, ManualTimeProvider.AtUnixSeconds(AttestationFixture.T0));
        Assert.True((await _f.Verifier(keys: client).VerifyAsync(rotated.Issue(AttestationFixture.Request()))).Verified);
        Assert.Equal(2, _server.Requests);

        // Unknown kids within the interval do not hit the server again.
        Assert.Equal(JwsStatus.UnknownKey, (await client.ResolveAsync("attacker-key", SignatureAlgorithm.EdDSA)).Status);
        Assert.Equal(JwsStatus.UnknownKey, (await client.ResolveAsync("attacker-key-2", SignatureAlgorithm.EdDSA)).Status);
        Assert.Equal(2, _server.Requests);
        _f.Clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(JwsStatus.UnknownKey, (await client.ResolveAsync("attacker-key", SignatureAlgorithm.EdDSA)).Status);
        Assert.Equal(3, _server.Requests);
    }

    [Fact]
    public async Task Outage_serves_the_last_good_set_for_max_stale_then_fails_closed()
    {
        _server.Body = Jwks((_f.IssuerKey.PublicKey, AttestationFixture.Kid));
        _server.MaxAge = 600;
        using var client = Client(o => o with { MaxStale = TimeSpan.FromHours(1), BreakerFailureThreshold = 1000 });
        Assert.NotNull((await client.ResolveAsync(AttestationFixture.Kid, SignatureAlgorithm.EdDSA)).Key);
        _server.Status = 503;
        _f.Clock.Advance(TimeSpan.FromSeconds(601));
        Assert.NotNull((await client.ResolveAsync(AttestationFixture.Kid, SignatureAlgorithm.EdDSA)).Key);
        _f.Clock.Advance(TimeSpan.FromHours(1));
        var down = await client.ResolveAsync(AttestationFixture.Kid, SignatureAlgorithm.EdDSA);
        Assert.Equal(JwsStatus.KeySourceUnavailable, down.Status);
        _f.Clock.Set(DateTimeOffset.FromUnixTimeSeconds(AttestationFixture.T0 + 10));
        using var fresh = Client(o => o with { BreakerFailureThreshold = 1000 });
        Assert.Equal(AttestationReason.JwksUnavailable, (await _f.Verifier(keys: fresh).VerifyAsync(_f.Honest())).Reason);
    }

    [Fact]
    public async Task Slow_responses_time_out_and_fail_closed()
    {
        _server.Body = Jwks((_f.IssuerKey.PublicKey, AttestationFixture.Kid));
        _server.Delay = TimeSpan.FromSeconds(3);
        using var client = Client(o => o with { RequestTimeout = TimeSpan.FromMilliseconds(200) });
        var started = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(JwsStatus.KeySourceUnavailable, (await client.ResolveAsync(AttestationFixture.Kid, SignatureAlgorithm.EdDSA)).Status);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(2.5));
    }

    [Fact]
    public async Task Retries_on_5xx_then_succeed()
    {
        _server.Body = Jwks((_f.IssuerKey.PublicKey, AttestationFixture.Kid));
        _server.Status = 500;
        using var client = Client(o => o with { MaxRetries = 2 });
        Assert.Equal(JwsStatus.KeySourceUnavailable, (await client.ResolveAsync(AttestationFixture.Kid, SignatureAlgorithm.EdDSA)).Status);
        Assert.Equal(3, _server.Requests);
        _server.Status = 404;
        Assert.Equal(JwsStatus.KeySourceUnavailable, (await client.ResolveAsync(AttestationFixture.Kid, SignatureAlgorithm.EdDSA)).Status);
        Assert.Equal(4, _server.Requests); // 4xx (other than 429) is not retried
    }

    [Fact]
    public async Task Breaker_opens_after_consecutive_failures_then_lets_one_probe_through()
    {
        _server.Status = 500;
        var transitions = new List<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "agenttrust.attestation.jwks.breaker.transitions")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "to")
                {
                    lock (transitions)
                    {
                        transitions.Add((string)tag.Value!);
                    }
                }
            }
        });
        listener.Start();
        using var metrics = new JwksMetrics();
        using var client = Client(o => o with { BreakerFailureThreshold = 5 }, metrics);
        for (var i = 0; i < 5; i++)
        {
            await client.ResolveAsync(AttestationFixture.Kid, SignatureAlgorithm.EdDSA);
        }

        Assert.Equal(5, _server.Requests);
        Assert.Equal("open", client.BreakerState);
        await client.ResolveAsync(AttestationFixture.Kid, SignatureAlgorithm.EdDSA);
        Assert.Equal(5, _server.Requests); // open: no request

        _server.Status = 200;
        _server.Body = Jwks((_f.IssuerKey.PublicKey, AttestationFixture.Kid));
        _f.Clock.Advance(TimeSpan.FromSeconds(31));
        Assert.NotNull((await client.ResolveAsync(AttestationFixture.Kid, SignatureAlgorithm.EdDSA)).Key);
        Assert.Equal(6, _server.Requests);
        Assert.Equal("closed", client.BreakerState);
        lock (transitions)
        {
            Assert.Equal(["open", "half_open", "closed"], transitions);
        }
    }

    [Fact]
    public async Task Cache_control_max_age_is_clamped()
    {
        _server.Body = Jwks((_f.IssuerKey.PublicKey, AttestationFixture.Kid));
        _server.MaxAge = 10;
        using var client = Client();
        await client.ResolveAsync(AttestationFixture.Kid, SignatureAlgorithm.EdDSA);
        _f.Clock.Advance(TimeSpan.FromSeconds(299));
        await client.ResolveAsync(AttestationFixture.Kid, SignatureAlgorithm.EdDSA);
        Assert.Equal(1, _server.Requests);
        _f.Clock.Advance(TimeSpan.FromSeconds(2));
        await client.ResolveAsync(AttestationFixture.Kid, SignatureAlgorithm.EdDSA);
        Assert.Equal(2, _server.Requests);
    }

    [Fact]
    public async Task Oversized_or_invalid_documents_are_failures()
    {
        _server.Body = "{\"keys\":[" + string.Join(',', Enumerable.Repeat("{}", 40000)) + "]}";
        using var client = Client();
        Assert.Equal(JwsStatus.KeySourceUnavailable, (await client.ResolveAsync(AttestationFixture.Kid, SignatureAlgorithm.EdDSA)).Status);
        _server.Body = "{\"keys\":[],\"keys\":[]}";
        Assert.Equal(JwsStatus.KeySourceUnavailable, (await client.ResolveAsync(AttestationFixture.Kid, SignatureAlgorithm.EdDSA)).Status);
    }

    [Theory]
    [InlineData("http://issuer.example/.well-known/jwks.json", false)]
    [InlineData("http://10.0.0.1/.well-known/jwks.json", false)]
    [InlineData("ftp://127.0.0.1/jwks.json", false)]
    [InlineData("https://issuer.example/.well-known/jwks.json", true)]
    [InlineData("http://localhost:8080/jwks.json", true)]
    [InlineData("http://[::1]:8080/jwks.json", true)]
    public void Plain_http_only_to_loopback(string url, bool accepted)
    {
        var options = new JwksClientOptions { JwksUri = new Uri(url) };
        if (accepted)
        {
            using var client = new HttpJwksKeyResolver(options);
        }
        else
        {
            Assert.Throws<ArgumentException>(() => new HttpJwksKeyResolver(options));
        }
    }

    [Fact]
    public async Task Concurrent_unknown_kids_trigger_a_single_flight_refetch()
    {
        _server.Body = Jwks((_f.IssuerKey.PublicKey, AttestationFixture.Kid));
        using var client = Client();
        await client.ResolveAsync(AttestationFixture.Kid, SignatureAlgorithm.EdDSA);
        _server.Body = Jwks((_f.IssuerKey.PublicKey, AttestationFixture.Kid), (_rotated.PublicKey, "new"));
        _server.Delay = TimeSpan.FromMilliseconds(200);
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => client.ResolveAsync("new", SignatureAlgorithm.EdDSA).AsTask()));
        Assert.All(results, r => Assert.NotNull(r.Key));
        Assert.Equal(2, _server.Requests);
    }

    [Fact]
    public async Task Redirects_are_not_followed()
    {
        _server.Body = Jwks((_f.IssuerKey.PublicKey, AttestationFixture.Kid));
        _server.Status = 302;
        using var client = Client();
        Assert.Equal(JwsStatus.KeySourceUnavailable, (await client.ResolveAsync(AttestationFixture.Kid, SignatureAlgorithm.EdDSA)).Status);
        Assert.Equal(1, _server.Requests);
    }

    [Fact]
    public void Default_location_is_the_well_known_path() =>
        Assert.Equal("https://api.anthropic.com/.well-known/jwks.json", JwksClientOptions.DefaultJwksUri("https://api.anthropic.com/").ToString());
}
