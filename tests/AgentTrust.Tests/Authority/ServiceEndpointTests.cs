using System.Net;
using System.Text.Json.Nodes;
using AgentTrust.Keys;

namespace AgentTrust.Tests.Authority;

/// <summary>JWKS, health, metrics, OpenAPI, unknown routes and rate limits over real HTTP.</summary>
public sealed class ServiceEndpointTests : IAsyncLifetime
{
    private AuthorityTestHost _host = null!;

    public async Task InitializeAsync() => _host = await AuthorityTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task The_JWKS_publishes_both_keys_with_thumbprint_kids()
    {
        using var response = await _host.Http.GetAsync(".well-known/jwks.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var keys = (await AuthorityTestHost.ReadObjectAsync(response))["keys"]!.AsArray();
        Assert.Equal(2, keys.Count);
        foreach (var node in keys)
        {
            Assert.True(JsonWebKey.TryParse(node!.ToJsonString(), out var jwk, out var error), error);
            Assert.False(jwk!.HasPrivateKey);
            Assert.Equal(jwk.ComputeThumbprint(), jwk.KeyId);
        }

        Assert.Equal(_host.Keys.PassportKeyId, keys[0]!["kid"]!.GetValue<string>());
        Assert.Equal("ES256", keys[0]!["alg"]!.GetValue<string>());
        Assert.Equal(_host.Keys.AnchorKeyId, keys[1]!["kid"]!.GetValue<string>());
        Assert.Equal("EdDSA", keys[1]!["alg"]!.GetValue<string>());
    }

    [Fact]
    public async Task Health_reports_the_engine()
    {
        using var response = await _host.Http.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await AuthorityTestHost.ReadObjectAsync(response);
        Assert.Equal("ok", body["status"]!.GetValue<string>());
        Assert.Equal("sqlite", body["engine"]!.GetValue<string>());
    }

    [Fact]
    public async Task Metrics_are_Prometheus_text_counting_requests_and_events()
    {
        var agent = _host.NewAgent();
        await _host.RegisterAsync(agent);
        using (await _host.Http.GetAsync($"v1/passports/{agent.PassportId}/status"))
        {
        }

        using var response = await _host.Http.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE agenttrust_authority_requests_total counter", text, StringComparison.Ordinal);
        Assert.Contains("agenttrust_authority_requests_total{route=\"/v1/passports/{id}/status\",status=\"200\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("agenttrust_authority_requests_total{route=\"/v1/agents\",status=\"201\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("agenttrust_authority_request_duration_seconds_bucket{route=\"/v1/passports/{id}/status\",le=\"+Inf\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("agenttrust_authority_events_total{event=\"registration\"} 1", text, StringComparison.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.Matches(@"^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{(\w+=""([^""\\]|\\.)*"",?)+\})? [0-9.e+-]+)$", line);
        }

        Assert.DoesNotContain(_host.AdminToken, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_exactly_the_mapped_routes()
    {
        using var response = await _host.Http.GetAsync("openapi.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = await AuthorityTestHost.ReadObjectAsync(response);
        Assert.Equal("3.1.0", document["openapi"]!.GetValue<string>());
        var documented = document["paths"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal).ToArray();
        var mapped = _host.Server.RoutePatterns.Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(mapped, documented);
    }

    [Fact]
    public async Task Unknown_routes_are_problem_details()
    {
        using var response = await _host.Http.GetAsync("v2/nothing");
        await AuthorityTestHost.AssertProblemAsync(response, HttpStatusCode.NotFound, null, "not_found");
    }

    [Fact]
    public async Task Writes_over_the_per_client_rate_are_refused_with_MCPS_010()
    {
        await using var host = await AuthorityTestHost.StartAsync(o =>
        {
            o.WriteRequestsPerSecond = 2;
            o.BurstFactor = 1;
        });
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 12; i++)
        {
            var response = await host.Http.PostAsync("v1/challenges", null);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests && limited is null)
            {
                limited = response;
                continue;
            }

            response.Dispose();
        }

        Assert.NotNull(limited);
        using (limited)
        {
            Assert.Equal("1", limited!.Headers.RetryAfter?.ToString());
            await AuthorityTestHost.AssertProblemAsync(limited, HttpStatusCode.TooManyRequests, "MCPS-010", "rate_limited");
        }

        Assert.Contains(HttpStatusCode.Created, statuses);

        // Reads have their own budget: the write limit does not block status lookups.
        using var read = await host.Http.GetAsync("v1/passports/asp_" + new string('0', 32) + "/status");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    [Fact]
    public async Task Status_answers_are_reused_briefly_but_a_revocation_shows_at_once()
    {
        await using var host = await AuthorityTestHost.StartAsync(o => o.StatusReuse = TimeSpan.FromSeconds(1));
        var agent = host.NewAgent();
        await host.RegisterAsync(agent);
        using (var first = await host.Http.GetAsync($"v1/passports/{agent.PassportId}/status"))
        {
            Assert.Equal("VALID", (await AuthorityTestHost.ReadObjectAsync(first))["status"]!.GetValue<string>());
        }

        using (var revoke = await host.PostJsonAsync($"v1/passports/{agent.PassportId}/revoke", new JsonObject { ["reason"] = "x" }, host.AdminToken))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }

        using var second = await host.Http.GetAsync($"v1/passports/{agent.PassportId}/status");
        Assert.Equal("REVOKED", (await AuthorityTestHost.ReadObjectAsync(second))["status"]!.GetValue<string>());
    }
}
