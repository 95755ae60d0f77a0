using System.Text.Json.Nodes;
using AgentTrust.Attestation;

namespace AgentTrust.Tests.Attestation;

public sealed class AttestationPolicyTests : IDisposable
{
    private readonly AttestationFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task Payment_tools_require_attestation_from_listed_issuers()
    {
        var policy = new AttestationToolPolicy(new Dictionary<string, AttestationToolRequirement>
        {
            ["pay"] = new() { AllowedIssuers = new HashSet<string> { AttestationFixture.Issuer }, MinimumTrustLevel = AttestationTrustLevel.Provider },
            ["pay_other"] = new() { AllowedIssuers = new HashSet<string> { "https://bank.example" } },
            ["pay_safe"] = new() { MinimumSafetyLevel = SafetyLevel.Enhanced },
        });
        var verified = await _f.Verifier().VerifyAsync(_f.Honest());
        var unattested = await _f.Verifier(o => o with { Mode = AttestationPolicyMode.Optional }).VerifyAsync(null);
        Assert.Null(policy.Evaluate("pay", verified));
        Assert.Equal("attestation_required", policy.Evaluate("pay", unattested));
        Assert.Equal("attestation_required", policy.Evaluate("pay", null));
        Assert.Equal("issuer_not_allowed", policy.Evaluate("pay_other", verified));
        Assert.Equal("safety_below_minimum", policy.Evaluate("pay_safe", verified));
        Assert.Null(policy.Evaluate("read_file", unattested));
    }

    [Fact]
    public async Task Enterprise_attestation_is_below_a_provider_minimum()
    {
        var payload = AttestationFixture.Payload();
        payload["attestation_metadata"]!["attestation_type"] = "enterprise";
        var verdict = await _f.Verifier().VerifyAsync(_f.Sign(payload));
        Assert.Equal("trust_level_too_low", new AttestationToolRequirement { MinimumTrustLevel = AttestationTrustLevel.Provider }.Evaluate(verdict));
        Assert.Null(new AttestationToolRequirement().Evaluate(verdict));
    }

    [Fact]
    public async Task Stateless_placement_round_trips_through_request_meta()
    {
        var token = _f.Honest();
        var requestParams = new JsonObject { ["name"] = "pay" };
        AttestationPlacement.SetRequestToken(requestParams, token);
        Assert.NotNull(requestParams["_meta"]![AttestationPlacement.ClientCapabilitiesMetaKey]!["experimental"]![AttestationNames.CapabilityKey]);
        Assert.True(AttestationPlacement.TryGetRequestToken(requestParams, out var carried));
        Assert.Equal(token, carried);
        var verdict = await _f.Verifier().VerifyAsync(carried, new AttestationPresentation { Stateless = true });
        var meta = AttestationPlacement.CreateResultMeta(verdict);
        Assert.Equal("verified", meta["verification_status"]!.GetValue<string>());
    }

    [Fact]
    public void Initialize_placement_round_trips()
    {
        var initializeParams = new JsonObject { ["protocolVersion"] = "2025-06-18" };
        AttestationPlacement.SetInitializeToken(initializeParams, "a.b.c");
        Assert.True(AttestationPlacement.TryGetInitializeToken(initializeParams, out var token));
        Assert.Equal("a.b.c", token);
    }

    [Theory]
    [InlineData("spiffe://example.org/agent/p-1", true)]
    [InlineData("spiffe://a.b-c_d/x.y/z", true)]
    [InlineData("spiffe://example.org/", false)]
    [InlineData("spiffe:///agent", false)]
    [InlineData("spiffe://user@example.org/agent", false)]
    [InlineData("spiffe://example.org/agent#f", false)]
    [InlineData("spiffe://example.org/agent/.", false)]
    [InlineData("spiffe://example.org/agent/%41", false)]
    public void Spiffe_ids(string text, bool valid)
    {
        Assert.Equal(valid, SpiffeId.TryParse(text, out var id, out _));
        if (valid)
        {
            Assert.Equal(text, id!.ToString());
        }
    }

    [Fact]
    public void Spiffe_id_length_limit()
    {
        Assert.False(SpiffeId.TryParse("spiffe://example.org/" + new string('a', 2048), out _, out _));
    }
}

public sealed class AttestationRepresentationTests : IDisposable
{
    private readonly AttestationFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task Unbound_token_may_be_represented_by_its_first_mcps_presenter_only()
    {
        var token = _f.Honest();
        var verifier = _f.Verifier();
        var alice = new AttestationPresentation { Stateless = true, PresenterId = "passport-alice", SignerThumbprint = "a" };
        var mallory = new AttestationPresentation { Stateless = true, PresenterId = "passport-mallory", SignerThumbprint = "m" };
        Assert.True((await verifier.VerifyAsync(token, alice)).Verified);
        Assert.True((await verifier.VerifyAsync(token, alice)).Verified);
        Assert.Equal(AttestationReason.Replay, (await verifier.VerifyAsync(token, mallory)).Reason);
        Assert.Equal(AttestationReason.Replay, (await verifier.VerifyAsync(token, new AttestationPresentation { Stateless = true })).Reason);
        Assert.Equal(AttestationReason.Replay, (await verifier.VerifyAsync(token)).Reason);

        // Another server instance sharing the store sees the same first presenter (recorded with the jti in the store).
        var otherInstance = _f.Verifier();
        Assert.True((await otherInstance.VerifyAsync(token, alice)).Verified);
        Assert.Equal(AttestationReason.Replay, (await otherInstance.VerifyAsync(token, mallory)).Reason);

        // After exp + S the presenter record is void too.
        _f.Clock.Set(DateTimeOffset.FromUnixTimeSeconds(AttestationFixture.T0 + 330));
        Assert.Equal(AttestationReason.Expired, (await verifier.VerifyAsync(token, alice)).Reason);
    }

    [Fact]
    public async Task Initialize_generation_never_accepts_a_second_presentation()
    {
        var token = _f.Honest();
        var verifier = _f.Verifier();
        var alice = new AttestationPresentation { Stateless = false, PresenterId = "passport-alice" };
        Assert.True((await verifier.VerifyAsync(token, alice)).Verified);
        Assert.Equal(AttestationReason.Replay, (await verifier.VerifyAsync(token, alice)).Reason);
    }
}
