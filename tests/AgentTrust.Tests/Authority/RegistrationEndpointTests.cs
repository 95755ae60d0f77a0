using System.Net;
using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Mcps.Passports;
using AgentTrust.TrustAuthority;

namespace AgentTrust.Tests.Authority;

/// <summary>POST /v1/challenges and POST /v1/agents over real HTTP: the happy path and every refusal.</summary>
public sealed class RegistrationEndpointTests : IAsyncLifetime
{
    private AuthorityTestHost _host = null!;

    public async Task InitializeAsync() => _host = await AuthorityTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_challenge_is_32_random_bytes_with_a_short_expiry()
    {
        using var response = await _host.Http.PostAsync("v1/challenges", null);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await AuthorityTestHost.ReadObjectAsync(response);
        Assert.Equal(43, body["challenge"]!.GetValue<string>().Length);
        Assert.True(AgentTrust.Mcps.McpsTimestamp.TryParse(body["expires_at"]!.GetValue<string>(), out var expires));
        Assert.Equal(_host.Clock.GetUtcNow() + _host.Options.ChallengeLifetime, expires);
        Assert.NotEqual(body["challenge"]!.GetValue<string>(), await _host.ChallengeAsync());
    }

    [Fact]
    public async Task Registration_returns_a_passport_signed_by_the_authority_that_chains_to_its_anchor()
    {
        var agent = _host.NewAgent();
        var challenge = await _host.ChallengeAsync();
        using var response = await _host.PostJsonAsync("v1/agents", AuthorityTestHost.RegistrationBody(agent.Passport, challenge, agent.Key));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await AuthorityTestHost.ReadObjectAsync(response);
        var issued = (JsonObject)body["passport"]!;
        Assert.Equal(agent.PassportId, issued["passport_id"]!.GetValue<string>());
        Assert.Equal("test-ta", issued["issuer"]!.GetValue<string>());
        Assert.Equal(1, issued["trust_level"]!.GetValue<int>());
        Assert.Empty(issued["issuer_chain"]!.AsArray());
        Assert.Equal(_host.Keys.PassportKeyId, body["authority"]!["kid"]!.GetValue<string>());

        Assert.True(AuthoritySignedDocument.VerifyEs256(issued, _host.Keys.PassportKey.PublicKey, AuthorityDocumentKind.Passport).IsValid);
        var verified = new PassportVerifier(_host.Anchors, null, _host.Clock).Verify(System.Text.Encoding.UTF8.GetBytes(issued.ToJsonString()));
        Assert.True(verified.IsValid, verified.Reason);
        Assert.True(verified.ReachesAnchor);
        Assert.Equal(1, verified.ChainLength);
        Assert.Equal(1, verified.TrustLevel);
    }

    [Fact]
    public async Task Proof_signed_with_another_key_is_refused_and_does_not_burn_the_challenge()
    {
        var agent = _host.NewAgent();
        using var intruder = SigningKey.Generate(SignatureAlgorithm.ES256);
        var challenge = await _host.ChallengeAsync();
        using (var refused = await _host.PostJsonAsync("v1/agents", AuthorityTestHost.RegistrationBody(agent.Passport, challenge, intruder)))
        {
            await AuthorityTestHost.AssertProblemAsync(refused, HttpStatusCode.Unauthorized, "MCPS-004", "signature_mismatch");
        }

        using var accepted = await _host.PostJsonAsync("v1/agents", AuthorityTestHost.RegistrationBody(agent.Passport, challenge, agent.Key));
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
    }

    [Fact]
    public async Task Proof_over_another_passport_id_is_refused()
    {
        var agent = _host.NewAgent();
        var challenge = await _host.ChallengeAsync();
        var body = AuthorityTestHost.RegistrationBody(agent.Passport, challenge, agent.Key, passportIdForProof: "asp_" + new string('0', 32));
        using var response = await _host.PostJsonAsync("v1/agents", body);
        await AuthorityTestHost.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "MCPS-004", "signature_mismatch");
    }

    [Theory]
    [InlineData("origin")]
    [InlineData("agent_name")]
    public async Task Passport_altered_after_the_proof_is_refused_and_nothing_is_issued(string member)
    {
        var agent = _host.NewAgent();
        var challenge = await _host.ChallengeAsync();
        var body = AuthorityTestHost.RegistrationBody(agent.Passport, challenge, agent.Key);
        var passport = (JsonObject)body["passport"]!;
        if (member == "origin")
        {
            Assert.NotNull(passport["origin"]);
            passport["origin"] = "https://attacker.example.net";
        }
        else
        {
            var agentInfo = Assert.IsType<JsonObject>(passport["agent"]);
            Assert.NotNull(agentInfo["name"]);
            agentInfo["name"] = "attacker-agent";
        }

        using (var refused = await _host.PostJsonAsync("v1/agents", body))
        {
            await AuthorityTestHost.AssertProblemAsync(refused, HttpStatusCode.Unauthorized, "MCPS-004", "signature_mismatch");
        }

        using (var lookup = await _host.Http.GetAsync($"v1/passports/{agent.PassportId}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, lookup.StatusCode);
        }

        // The untouched passport with the same proof still registers: the refusal did not burn the challenge.
        using var accepted = await _host.PostJsonAsync("v1/agents", AuthorityTestHost.RegistrationBody(agent.Passport, challenge, agent.Key));
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        var issued = (JsonObject)(await AuthorityTestHost.ReadObjectAsync(accepted))["passport"]!;
        Assert.Equal(agent.Passport["origin"]!.GetValue<string>(), issued["origin"]!.GetValue<string>());
        Assert.Equal(agent.Passport["agent"]!["name"]!.GetValue<string>(), issued["agent"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_replayed_challenge_is_refused()
    {
        var first = _host.NewAgent("first");
        var second = _host.NewAgent("second");
        var challenge = await _host.ChallengeAsync();
        using (var ok = await _host.PostJsonAsync("v1/agents", AuthorityTestHost.RegistrationBody(first.Passport, challenge, first.Key)))
        {
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        }

        using var replay = await _host.PostJsonAsync("v1/agents", AuthorityTestHost.RegistrationBody(second.Passport, challenge, second.Key));
        await AuthorityTestHost.AssertProblemAsync(replay, HttpStatusCode.BadRequest, "MCPS-004", "invalid_challenge");
    }

    [Fact]
    public async Task An_expired_challenge_is_refused()
    {
        var agent = _host.NewAgent();
        var challenge = await _host.ChallengeAsync();
        _host.Clock.Advance(_host.Options.ChallengeLifetime);
        using var response = await _host.PostJsonAsync("v1/agents", AuthorityTestHost.RegistrationBody(agent.Passport, challenge, agent.Key));
        await AuthorityTestHost.AssertProblemAsync(response, HttpStatusCode.BadRequest, "MCPS-004", "invalid_challenge");
    }

    [Fact]
    public async Task A_challenge_the_authority_never_issued_is_refused()
    {
        var agent = _host.NewAgent();
        var invented = AgentTrust.Encoding.StrictBase64.EncodeUrl(new byte[32]);
        using var response = await _host.PostJsonAsync("v1/agents", AuthorityTestHost.RegistrationBody(agent.Passport, invented, agent.Key));
        await AuthorityTestHost.AssertProblemAsync(response, HttpStatusCode.BadRequest, "MCPS-004", "invalid_challenge");
    }

    [Fact]
    public async Task A_used_an_expired_and_an_invented_challenge_get_the_same_answer_even_without_a_valid_proof()
    {
        // Someone who saw a victim's challenge on the way must not learn from the answer whether it was used.
        var victim = _host.NewAgent("victim");
        var prober = _host.NewAgent("prober");
        using var wrongKey = SigningKey.Generate(SignatureAlgorithm.ES256);
        var used = await _host.ChallengeAsync();
        using (var ok = await _host.PostJsonAsync("v1/agents", AuthorityTestHost.RegistrationBody(victim.Passport, used, victim.Key)))
        {
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        }

        var expired = await _host.ChallengeAsync();
        _host.Clock.Advance(_host.Options.ChallengeLifetime);
        var invented = AgentTrust.Encoding.StrictBase64.EncodeUrl(new byte[32]);
        var answers = new List<string>();
        foreach (var challenge in new[] { used, expired, invented })
        {
            using var response = await _host.PostJsonAsync("v1/agents", AuthorityTestHost.RegistrationBody(prober.Passport, challenge, wrongKey));
            var problem = await AuthorityTestHost.ReadObjectAsync(response);
            answers.Add($"{(int)response.StatusCode} {problem["mcps_code"]} {problem["reason"]}");
        }

        Assert.Single(answers.Distinct());
        Assert.Equal("400 MCPS-004 invalid_challenge", answers[0]);
    }

    [Fact]
    public async Task A_registration_refused_as_already_registered_does_not_burn_the_challenge()
    {
        var agent = _host.NewAgent();
        await _host.RegisterAsync(agent);
        var fresh = _host.NewAgent("fresh");
        var challenge = await _host.ChallengeAsync();
        using (var refused = await _host.PostJsonAsync("v1/agents", AuthorityTestHost.RegistrationBody(agent.Passport, challenge, agent.Key)))
        {
            await AuthorityTestHost.AssertProblemAsync(refused, HttpStatusCode.Conflict, "MCPS-001", "already_registered");
        }

        using var accepted = await _host.PostJsonAsync("v1/agents", AuthorityTestHost.RegistrationBody(fresh.Passport, challenge, fresh.Key));
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
    }

    [Fact]
    public async Task Concurrent_registrations_on_one_challenge_register_exactly_one_passport()
    {
        var challenge = await _host.ChallengeAsync();
        var agents = Enumerable.Range(0, 8).Select(i => _host.NewAgent("racer-" + i)).ToList();
        var statuses = await Task.WhenAll(agents.Select(async agent =>
        {
            using var response = await _host.PostJsonAsync("v1/agents", AuthorityTestHost.RegistrationBody(agent.Passport, challenge, agent.Key));
            return response.StatusCode;
        }));
        Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.Created));
        Assert.Equal(7, statuses.Count(s => s == HttpStatusCode.BadRequest));
        var registered = 0;
        foreach (var agent in agents)
        {
            registered += await _host.Repository.GetPassportAsync(agent.PassportId, CancellationToken.None) is null ? 0 : 1;
        }

        Assert.Equal(1, registered);
    }

    [Fact]
    public async Task An_oversize_passport_is_refused_before_parsing()
    {
        var agent = _host.NewAgent();
        var passport = (JsonObject)agent.Passport.DeepClone();
        passport["padding"] = new string('x', 8200);
        var challenge = await _host.ChallengeAsync();
        using var response = await _host.PostJsonAsync("v1/agents", AuthorityTestHost.RegistrationBody(passport, challenge, agent.Key));
        await AuthorityTestHost.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "MCPS-013", "too_large");
    }

    [Fact]
    public async Task An_oversize_body_is_refused()
    {
        var body = System.Text.Encoding.UTF8.GetBytes("{\"passport\":{},\"pad\":\"" + new string('x', 20_000) + "\"}");
        using var response = await _host.PostRawAsync("v1/agents", body);
        await AuthorityTestHost.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "MCPS-016", "too_large");
    }

    [Fact]
    public async Task A_body_with_duplicate_members_is_refused()
    {
        var body = System.Text.Encoding.UTF8.GetBytes("{\"passport\":{},\"passport\":{}}");
        using var response = await _host.PostRawAsync("v1/agents", body);
        await AuthorityTestHost.AssertProblemAsync(response, HttpStatusCode.BadRequest, "MCPS-017", "invalid_json");
    }

    [Theory]
    [InlineData("passport_id", "\"asp_XYZ\"", "MCPS-001", "bad_passport_id")]
    [InlineData("public_key", "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\",\"y\":\"AAAA\"}", "MCPS-001", "bad_field")]
    [InlineData("agent", "\"not an object\"", "MCPS-001", "bad_field")]
    public async Task A_malformed_passport_is_refused(string member, string json, string code, string reason)
    {
        var agent = _host.NewAgent();
        var passport = (JsonObject)agent.Passport.DeepClone();
        passport[member] = JsonNode.Parse(json);
        var challenge = await _host.ChallengeAsync();
        using var response = await _host.PostJsonAsync("v1/agents", AuthorityTestHost.RegistrationBody(passport, challenge, agent.Key, agent.PassportId));
        await AuthorityTestHost.AssertProblemAsync(response, HttpStatusCode.BadRequest, code, reason);
    }

    [Fact]
    public async Task Registration_never_grants_issuing_rights()
    {
        var agent = _host.NewAgent(capabilities: ["tools:read", "passport:issue"]);
        var challenge = await _host.ChallengeAsync();
        using var response = await _host.PostJsonAsync("v1/agents", AuthorityTestHost.RegistrationBody(agent.Passport, challenge, agent.Key));
        await AuthorityTestHost.AssertProblemAsync(response, HttpStatusCode.BadRequest, "MCPS-001", "bad_field");
    }

    [Fact]
    public async Task Unknown_members_and_the_claimed_level_are_not_signed_by_the_authority()
    {
        var agent = _host.NewAgent();
        var passport = (JsonObject)agent.Passport.DeepClone();
        passport["trust_level"] = 4;
        passport["x-claim"] = "admin";
        var challenge = await _host.ChallengeAsync();
        using var response = await _host.PostJsonAsync("v1/agents", AuthorityTestHost.RegistrationBody(passport, challenge, agent.Key));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var issued = (JsonObject)(await AuthorityTestHost.ReadObjectAsync(response))["passport"]!;
        Assert.Equal(1, issued["trust_level"]!.GetValue<int>());
        Assert.False(issued.ContainsKey("x-claim"));
    }

    [Fact]
    public async Task A_second_registration_of_the_same_passport_is_refused()
    {
        var agent = _host.NewAgent();
        await _host.RegisterAsync(agent);
        var challenge = await _host.ChallengeAsync();
        using var response = await _host.PostJsonAsync("v1/agents", AuthorityTestHost.RegistrationBody(agent.Passport, challenge, agent.Key));
        await AuthorityTestHost.AssertProblemAsync(response, HttpStatusCode.Conflict, "MCPS-001", "already_registered");
    }

    [Fact]
    public async Task Missing_or_malformed_proof_members_are_refused()
    {
        var agent = _host.NewAgent();
        var challenge = await _host.ChallengeAsync();
        var noSignature = AuthorityTestHost.RegistrationBody(agent.Passport, challenge, agent.Key);
        noSignature["signature"] = "not base64!";
        using (var response = await _host.PostJsonAsync("v1/agents", noSignature))
        {
            await AuthorityTestHost.AssertProblemAsync(response, HttpStatusCode.BadRequest, "MCPS-004", "bad_signature_encoding");
        }

        var badChallenge = AuthorityTestHost.RegistrationBody(agent.Passport, challenge, agent.Key);
        badChallenge["challenge"] = "short";
        using (var response = await _host.PostJsonAsync("v1/agents", badChallenge))
        {
            await AuthorityTestHost.AssertProblemAsync(response, HttpStatusCode.BadRequest, "MCPS-004", "bad_field");
        }

        using (var response = await _host.PostJsonAsync("v1/agents", new JsonObject { ["challenge"] = challenge }))
        {
            await AuthorityTestHost.AssertProblemAsync(response, HttpStatusCode.BadRequest, "MCPS-001", "bad_field");
        }
    }
}
