using System.Net;
using System.Text.Json.Nodes;
using AgentTrust.TrustAuthority;

namespace AgentTrust.Tests.Authority;

/// <summary>GET /v1/passports/{id}, /status and /staple over real HTTP.</summary>
public sealed class PassportEndpointTests : IAsyncLifetime
{
    private AuthorityTestHost _host = null!;

    public async Task InitializeAsync() => _host = await AuthorityTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task The_registered_passport_is_served_as_issued()
    {
        var agent = _host.NewAgent();
        var issued = await _host.RegisterAsync(agent);
        using var response = await _host.Http.GetAsync($"v1/passports/{agent.PassportId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var served = await AuthorityTestHost.ReadObjectAsync(response);
        Assert.True(JsonNode.DeepEquals(issued, served));
    }

    [Fact]
    public async Task Unknown_and_malformed_passport_ids_are_problems()
    {
        using (var unknown = await _host.Http.GetAsync("v1/passports/asp_" + new string('a', 32)))
        {
            await AuthorityTestHost.AssertProblemAsync(unknown, HttpStatusCode.NotFound, "MCPS-001", "unknown_passport");
        }

        foreach (var path in new[] { "v1/passports/asp_ZZ", "v1/passports/asp_ZZ/status", "v1/passports/asp_ZZ/staple" })
        {
            using var malformed = await _host.Http.GetAsync(path);
            await AuthorityTestHost.AssertProblemAsync(malformed, HttpStatusCode.BadRequest, "MCPS-001", "bad_passport_id");
        }
    }

    [Fact]
    public async Task Status_of_a_registered_passport_is_VALID_signed_with_level_and_times()
    {
        var agent = _host.NewAgent();
        await _host.RegisterAsync(agent);
        using var response = await _host.Http.GetAsync($"v1/passports/{agent.PassportId}/status");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var status = await AuthorityTestHost.ReadObjectAsync(response);
        Assert.Equal("VALID", status["status"]!.GetValue<string>());
        Assert.Equal(1, status["trust_level"]!.GetValue<int>());
        Assert.Equal(AgentTrust.Mcps.McpsTimestamp.Format(_host.Clock.GetUtcNow()), status["checked_at"]!.GetValue<string>());
        Assert.Equal(AgentTrust.Mcps.McpsTimestamp.Format(_host.Clock.GetUtcNow() + _host.Options.StatusLifetime), status["valid_until"]!.GetValue<string>());
        Assert.NotNull(status["expires_at"]);
        Assert.True(AuthoritySignedDocument.VerifyEs256(status, _host.Keys.PassportKey.PublicKey, AuthorityDocumentKind.Status).IsValid);

        status["trust_level"] = 4;
        Assert.Equal("signature_mismatch", AuthoritySignedDocument.VerifyEs256(status, _host.Keys.PassportKey.PublicKey, AuthorityDocumentKind.Status).Reason);
    }

    [Fact]
    public async Task Status_of_an_unknown_passport_is_a_signed_UNKNOWN()
    {
        using var response = await _host.Http.GetAsync("v1/passports/asp_" + new string('b', 32) + "/status");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var status = await AuthorityTestHost.ReadObjectAsync(response);
        Assert.Equal("UNKNOWN", status["status"]!.GetValue<string>());
        Assert.Null(status["trust_level"]);
        Assert.True(AuthoritySignedDocument.VerifyEs256(status, _host.Keys.PassportKey.PublicKey, AuthorityDocumentKind.Status).IsValid);
    }

    [Fact]
    public async Task Status_turns_EXPIRED_when_the_passport_expires()
    {
        var agent = _host.NewAgent();
        await _host.RegisterAsync(agent);
        _host.Clock.Advance(_host.Options.PassportLifetime);
        using var response = await _host.Http.GetAsync($"v1/passports/{agent.PassportId}/status");
        var status = await AuthorityTestHost.ReadObjectAsync(response);
        Assert.Equal("EXPIRED", status["status"]!.GetValue<string>());
        Assert.Equal(0, status["trust_level"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_staple_has_the_mcps_shape_lives_at_most_an_hour_and_verifies()
    {
        var agent = _host.NewAgent();
        await _host.RegisterAsync(agent);
        using var response = await _host.Http.GetAsync($"v1/passports/{agent.PassportId}/staple");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var staple = await AuthorityTestHost.ReadObjectAsync(response);
        Assert.Equal(["passport_id", "signature", "status", "type", "valid_from", "valid_until"], staple.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(AuthoritySignedDocument.StapleType, staple["type"]!.GetValue<string>());
        Assert.Equal("active", staple["status"]!.GetValue<string>());
        Assert.True(AgentTrust.Mcps.McpsTimestamp.TryParse(staple["valid_from"]!.GetValue<string>(), out var from));
        Assert.True(AgentTrust.Mcps.McpsTimestamp.TryParse(staple["valid_until"]!.GetValue<string>(), out var until));
        Assert.True(until - from <= TimeSpan.FromHours(1));
        Assert.True(TrustAuthorityClient.CheckStaple(staple, _host.Keys.PassportKey.PublicKey, agent.PassportId, _host.Clock.GetUtcNow()).IsValid);
    }

    [Fact]
    public async Task A_stale_staple_is_refused()
    {
        var agent = _host.NewAgent();
        await _host.RegisterAsync(agent);
        using var response = await _host.Http.GetAsync($"v1/passports/{agent.PassportId}/staple");
        var staple = await AuthorityTestHost.ReadObjectAsync(response);
        var later = _host.Clock.GetUtcNow() + _host.Options.StapleLifetime;
        var check = TrustAuthorityClient.CheckStaple(staple, _host.Keys.PassportKey.PublicKey, agent.PassportId, later);
        Assert.False(check.IsValid);
        Assert.Equal(AgentTrust.Errors.McpsCode.AuthorityUnreachable, check.Code);

        var early = TrustAuthorityClient.CheckStaple(staple, _host.Keys.PassportKey.PublicKey, agent.PassportId, _host.Clock.GetUtcNow().AddSeconds(-1));
        Assert.False(early.IsValid);
    }

    [Fact]
    public async Task A_staple_is_bound_to_its_passport_and_its_signer()
    {
        var agent = _host.NewAgent();
        await _host.RegisterAsync(agent);
        using var response = await _host.Http.GetAsync($"v1/passports/{agent.PassportId}/staple");
        var staple = await AuthorityTestHost.ReadObjectAsync(response);
        var now = _host.Clock.GetUtcNow();
        Assert.Equal("unknown_passport", TrustAuthorityClient.CheckStaple(staple, _host.Keys.PassportKey.PublicKey, "asp_" + new string('c', 32), now).Reason);
        using var other = AgentTrust.Cryptography.SigningKey.Generate(AgentTrust.Cryptography.SignatureAlgorithm.ES256);
        Assert.Equal("signature_mismatch", TrustAuthorityClient.CheckStaple(staple, other.PublicKey, agent.PassportId, now).Reason);
        var stretched = (JsonObject)staple.DeepClone();
        stretched["valid_until"] = AgentTrust.Mcps.McpsTimestamp.Format(now.AddDays(1));
        Assert.Equal("signature_mismatch", TrustAuthorityClient.CheckStaple(stretched, _host.Keys.PassportKey.PublicKey, agent.PassportId, now).Reason);
    }

    [Fact]
    public async Task A_staple_for_an_unknown_passport_is_a_problem()
    {
        using var response = await _host.Http.GetAsync("v1/passports/asp_" + new string('d', 32) + "/staple");
        await AuthorityTestHost.AssertProblemAsync(response, HttpStatusCode.NotFound, "MCPS-001", "unknown_passport");
    }

    [Fact]
    public async Task The_staple_lifetime_cannot_exceed_an_hour()
    {
        var options = new AgentTrust.Authority.AuthorityServerOptions { StapleLifetime = TimeSpan.FromHours(2) };
        options.Urls.Add("http://127.0.0.1:0");
        await Assert.ThrowsAsync<ArgumentException>(() => AgentTrust.Authority.AuthorityServer.StartAsync(options, _host.Repository, _host.Keys, _host.Clock));
    }
}
