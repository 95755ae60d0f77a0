using System.Net;
using System.Text.Json.Nodes;
using AgentTrust.TrustAuthority;

namespace AgentTrust.Tests.Authority;

/// <summary>Revocation, trust levels and the revocation list over real HTTP, with and without the admin token.</summary>
public sealed class AdminEndpointTests : IAsyncLifetime
{
    private AuthorityTestHost _host = null!;

    public async Task InitializeAsync() => _host = await AuthorityTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public static TheoryData<string, string> AdminCalls => new()
    {
        { "revoke", "{\"reason\":\"x\"}" },
        { "trust-level", "{\"level\":2,\"reason\":\"x\"}" },
    };

    [Theory]
    [MemberData(nameof(AdminCalls))]
    public async Task Admin_endpoints_refuse_a_missing_token(string action, string body)
    {
        var agent = _host.NewAgent();
        await _host.RegisterAsync(agent);
        using var response = await _host.PostJsonAsync($"v1/passports/{agent.PassportId}/{action}", JsonNode.Parse(body)!);
        await AuthorityTestHost.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "MCPS-009", "admin_token_required");
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AdminCalls))]
    public async Task Admin_endpoints_refuse_a_wrong_token(string action, string body)
    {
        var agent = _host.NewAgent();
        await _host.RegisterAsync(agent);
        var forged = AgentTrust.Authority.Services.AdminTokens.Prefix + AgentTrust.Encoding.StrictBase64.EncodeUrl(new byte[32]);
        foreach (var token in new[] { forged, _host.AdminToken + "x", _host.AdminToken[..^1], "garbage" })
        {
            using var response = await _host.PostJsonAsync($"v1/passports/{agent.PassportId}/{action}", JsonNode.Parse(body)!, token);
            await AuthorityTestHost.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "MCPS-009", "admin_token_invalid");
        }

        using var status = await _host.Http.GetAsync($"v1/passports/{agent.PassportId}/status");
        var current = await AuthorityTestHost.ReadObjectAsync(status);
        Assert.Equal("VALID", current["status"]!.GetValue<string>());
        Assert.Equal(1, current["trust_level"]!.GetValue<int>());
    }

    [Fact]
    public async Task Revoked_then_used_everything_reports_revocation()
    {
        var agent = _host.NewAgent();
        await _host.RegisterAsync(agent);
        using (var revoke = await _host.PostJsonAsync($"v1/passports/{agent.PassportId}/revoke", new JsonObject { ["reason"] = "key compromised" }, _host.AdminToken))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
            var answer = await AuthorityTestHost.ReadObjectAsync(revoke);
            Assert.Equal("REVOKED", answer["status"]!.GetValue<string>());
            Assert.True(AuthoritySignedDocument.VerifyEs256(answer, _host.Keys.PassportKey.PublicKey, AuthorityDocumentKind.Status).IsValid);
        }

        using (var status = await _host.Http.GetAsync($"v1/passports/{agent.PassportId}/status"))
        {
            var current = await AuthorityTestHost.ReadObjectAsync(status);
            Assert.Equal("REVOKED", current["status"]!.GetValue<string>());
            Assert.Equal("key compromised", current["revocation_reason"]!.GetValue<string>());
            Assert.Equal(0, current["trust_level"]!.GetValue<int>());
        }

        using (var stapleResponse = await _host.Http.GetAsync($"v1/passports/{agent.PassportId}/staple"))
        {
            var staple = await AuthorityTestHost.ReadObjectAsync(stapleResponse);
            Assert.Equal("revoked", staple["status"]!.GetValue<string>());
            var check = TrustAuthorityClient.CheckStaple(staple, _host.Keys.PassportKey.PublicKey, agent.PassportId, _host.Clock.GetUtcNow());
            Assert.Equal(AgentTrust.Errors.McpsCode.PassportRevoked, check.Code);
        }

        using (var again = await _host.PostJsonAsync($"v1/passports/{agent.PassportId}/revoke", new JsonObject { ["reason"] = "again" }, _host.AdminToken))
        {
            await AuthorityTestHost.AssertProblemAsync(again, HttpStatusCode.Conflict, "MCPS-003", "revoked");
        }

        using (var raise = await _host.PostJsonAsync($"v1/passports/{agent.PassportId}/trust-level", new JsonObject { ["level"] = 4, ["reason"] = "x" }, _host.AdminToken))
        {
            await AuthorityTestHost.AssertProblemAsync(raise, HttpStatusCode.Conflict, "MCPS-003", "revoked");
        }

        var challenge = await _host.ChallengeAsync();
        using (var reregister = await _host.PostJsonAsync("v1/agents", AuthorityTestHost.RegistrationBody(agent.Passport, challenge, agent.Key)))
        {
            await AuthorityTestHost.AssertProblemAsync(reregister, HttpStatusCode.Conflict, "MCPS-001", "already_registered");
        }

        var client = _host.Client();
        Assert.True((await client.SyncRevocationsAsync()).IsSuccess);
        Assert.True(client.IsRevoked(agent.PassportId));
    }

    [Fact]
    public async Task The_revocation_list_is_signed_versioned_and_has_a_next_update()
    {
        var first = _host.NewAgent("a");
        var second = _host.NewAgent("b");
        await _host.RegisterAsync(first);
        await _host.RegisterAsync(second);
        using (var empty = await _host.Http.GetAsync("v1/revocations"))
        {
            var list = await AuthorityTestHost.ReadObjectAsync(empty);
            Assert.Equal(0, list["version"]!.GetValue<long>());
            Assert.Empty(list["entries"]!.AsArray());
        }

        foreach (var agent in new[] { second, first })
        {
            using var revoke = await _host.PostJsonAsync($"v1/passports/{agent.PassportId}/revoke", new JsonObject { ["reason"] = "retired " + agent.PassportId[..8] }, _host.AdminToken);
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }

        using var response = await _host.Http.GetAsync("v1/revocations");
        var revocations = await AuthorityTestHost.ReadObjectAsync(response);
        Assert.True(AuthoritySignedDocument.VerifyEs256(revocations, _host.Keys.PassportKey.PublicKey, AuthorityDocumentKind.RevocationList).IsValid);
        Assert.Equal(2, revocations["version"]!.GetValue<long>());
        Assert.Equal("test-ta", revocations["issuer"]!.GetValue<string>());
        Assert.Equal(
            AgentTrust.Mcps.McpsTimestamp.Format(_host.Clock.GetUtcNow() + _host.Options.RevocationListInterval),
            revocations["next_update"]!.GetValue<string>());
        Assert.Equal([second.PassportId, first.PassportId], revocations["entries"]!.AsArray().Select(e => e!["passport_id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Trust_level_changes_take_effect_and_are_recorded_with_who_and_why()
    {
        var agent = _host.NewAgent();
        await _host.RegisterAsync(agent);
        using (var raise = await _host.PostJsonAsync($"v1/passports/{agent.PassportId}/trust-level", new JsonObject { ["level"] = 3, ["reason"] = "passed scan" }, _host.AdminToken))
        {
            Assert.Equal(HttpStatusCode.OK, raise.StatusCode);
            Assert.Equal(3, (await AuthorityTestHost.ReadObjectAsync(raise))["trust_level"]!.GetValue<int>());
        }

        _host.Clock.Advance(TimeSpan.FromMinutes(1));
        using (var lower = await _host.PostJsonAsync($"v1/passports/{agent.PassportId}/trust-level", new JsonObject { ["level"] = 2, ["reason"] = "anomaly" }, _host.AdminToken))
        {
            Assert.Equal(HttpStatusCode.OK, lower.StatusCode);
        }

        using (var status = await _host.Http.GetAsync($"v1/passports/{agent.PassportId}/status"))
        {
            Assert.Equal(2, (await AuthorityTestHost.ReadObjectAsync(status))["trust_level"]!.GetValue<int>());
        }

        using var historyRequest = new HttpRequestMessage(HttpMethod.Get, $"v1/passports/{agent.PassportId}/trust-level-history");
        historyRequest.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _host.AdminToken);
        using var history = await _host.Http.SendAsync(historyRequest);
        var changes = (await AuthorityTestHost.ReadObjectAsync(history))["changes"]!.AsArray();
        Assert.Equal(2, changes.Count);
        Assert.Equal("passed scan", changes[0]!["reason"]!.GetValue<string>());
        Assert.Equal("admin:test", changes[0]!["actor"]!.GetValue<string>());
        Assert.Equal(1, changes[0]!["old_level"]!.GetValue<int>());
        Assert.Equal(3, changes[0]!["new_level"]!.GetValue<int>());
        Assert.Equal("anomaly", changes[1]!["reason"]!.GetValue<string>());

        using var unauthorised = await _host.Http.GetAsync($"v1/passports/{agent.PassportId}/trust-level-history");
        await AuthorityTestHost.AssertProblemAsync(unauthorised, HttpStatusCode.Unauthorized, "MCPS-009", "admin_token_required");
    }

    [Theory]
    [InlineData("{\"level\":5,\"reason\":\"x\"}", "MCPS-009", "bad_field")]
    [InlineData("{\"level\":-1,\"reason\":\"x\"}", "MCPS-009", "bad_field")]
    [InlineData("{\"level\":\"3\",\"reason\":\"x\"}", "MCPS-009", "bad_field")]
    [InlineData("{\"level\":2}", "MCPS-001", "bad_field")]
    [InlineData("{\"level\":2,\"reason\":\"  \"}", "MCPS-001", "bad_field")]
    [InlineData("{\"level\":2,\"level\":3,\"reason\":\"x\"}", "MCPS-017", "invalid_json")]
    public async Task Bad_trust_level_requests_are_problems(string body, string code, string reason)
    {
        var agent = _host.NewAgent();
        await _host.RegisterAsync(agent);
        using var response = await _host.PostRawAsync($"v1/passports/{agent.PassportId}/trust-level", System.Text.Encoding.UTF8.GetBytes(body), _host.AdminToken);
        await AuthorityTestHost.AssertProblemAsync(response, HttpStatusCode.BadRequest, code, reason);
    }

    [Fact]
    public async Task Admin_actions_on_unknown_passports_and_without_reason_are_problems()
    {
        var unknown = "asp_" + new string('e', 32);
        using (var revoke = await _host.PostJsonAsync($"v1/passports/{unknown}/revoke", new JsonObject { ["reason"] = "x" }, _host.AdminToken))
        {
            await AuthorityTestHost.AssertProblemAsync(revoke, HttpStatusCode.NotFound, "MCPS-001", "unknown_passport");
        }

        using (var trust = await _host.PostJsonAsync($"v1/passports/{unknown}/trust-level", new JsonObject { ["level"] = 1, ["reason"] = "x" }, _host.AdminToken))
        {
            await AuthorityTestHost.AssertProblemAsync(trust, HttpStatusCode.NotFound, "MCPS-001", "unknown_passport");
        }

        var agent = _host.NewAgent();
        await _host.RegisterAsync(agent);
        using var noReason = await _host.PostJsonAsync($"v1/passports/{agent.PassportId}/revoke", new JsonObject(), _host.AdminToken);
        await AuthorityTestHost.AssertProblemAsync(noReason, HttpStatusCode.BadRequest, "MCPS-001", "bad_field");
        using var oversize = await _host.PostRawAsync($"v1/passports/{agent.PassportId}/revoke", new byte[8000], _host.AdminToken);
        await AuthorityTestHost.AssertProblemAsync(oversize, HttpStatusCode.RequestEntityTooLarge, "MCPS-016", "too_large");
    }
}

public sealed class AdminTokenTests
{
    [Theory]
    [InlineData("")]
    [InlineData("atadm_")]
    [InlineData("atadm_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAx")]
    [InlineData("atadm_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("ATADM_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void Malformed_tokens_match_nothing_and_never_throw(string presented)
    {
        var stored = new[] { new AgentTrust.Authority.Storage.AdminTokenRecord(System.Security.Cryptography.SHA256.HashData(new byte[32]), "zero") };
        Assert.Null(AgentTrust.Authority.Services.AdminTokens.Match(presented, stored));
    }

    [Fact]
    public void The_stored_hash_is_SHA256_of_the_token_bytes_and_matches_only_that_token()
    {
        var stored = new[] { new AgentTrust.Authority.Storage.AdminTokenRecord(System.Security.Cryptography.SHA256.HashData(new byte[32]), "zero") };
        var token = AgentTrust.Authority.Services.AdminTokens.Prefix + AgentTrust.Encoding.StrictBase64.EncodeUrl(new byte[32]);
        Assert.Equal("zero", AgentTrust.Authority.Services.AdminTokens.Match(token, stored)!.Label);
        var other = new byte[32];
        other[31] = 1;
        Assert.Null(AgentTrust.Authority.Services.AdminTokens.Match(AgentTrust.Authority.Services.AdminTokens.Prefix + AgentTrust.Encoding.StrictBase64.EncodeUrl(other), stored));
    }
}
