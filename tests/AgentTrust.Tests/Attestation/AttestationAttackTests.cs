using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AgentTrust.Attestation;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Jose;
using AgentTrust.Replay;

namespace AgentTrust.Tests.Attestation;

/// <summary>The reference harness's eight attacks, the kid-reuse variant, and the attacks attestation.md §9 adds.</summary>
public sealed class AttestationAttackTests : IDisposable
{
    private readonly AttestationFixture _f = new();

    public void Dispose() => _f.Dispose();

    private static void AssertRejected(AttestationVerdict verdict, AttestationReason reason, int code)
    {
        Assert.False(verdict.Verified);
        Assert.False(verdict.ShouldProceed);
        Assert.Equal(reason, verdict.Reason);
        Assert.Equal(code, verdict.JsonRpcCode);
        Assert.Equal(AttestationTrustLevel.None, verdict.TrustLevel);
        Assert.Equal(AgentTrust.Errors.McpsCode.AttestationFailed, verdict.McpsCode);
    }

    [Fact]
    public async Task Attack1_model_spoofing_with_attacker_kid()
    {
        var token = AttestationFixture.Forge(_f.AttackerKey, AttestationFixture.Header(kid: "attacker-key"), AttestationFixture.Payload());
        AssertRejected(await _f.Verifier().VerifyAsync(token), AttestationReason.UnknownKeyId, -32002);
    }

    [Fact]
    public async Task Attack1b_model_spoofing_reusing_the_real_kid()
    {
        var token = AttestationFixture.Forge(_f.AttackerKey, AttestationFixture.Header(), AttestationFixture.Payload());
        AssertRejected(await _f.Verifier().VerifyAsync(token), AttestationReason.BadSignature, -32002);
    }

    [Fact]
    public async Task Attack2_provenance_forgery()
    {
        var payload = AttestationFixture.Payload();
        payload["iss"] = "https://evil-llm-provider.com";
        var token = AttestationFixture.Forge(_f.AttackerKey, AttestationFixture.Header(kid: "malicious-provider"), payload);
        AssertRejected(await _f.Verifier().VerifyAsync(token), AttestationReason.UntrustedIssuer, -32005);
    }

    [Fact]
    public async Task Attack3_token_replay()
    {
        var verifier = _f.Verifier();
        var token = _f.Honest();
        Assert.True((await verifier.VerifyAsync(token)).Verified);
        AssertRejected(await verifier.VerifyAsync(token), AttestationReason.Replay, -32004);
    }

    [Fact]
    public async Task Attack4_token_tampering_moves_exp()
    {
        var parts = _f.Honest().Split('.');
        Assert.True(StrictBase64.TryDecodeUrl(parts[1], out var payloadBytes));
        var payload = JsonNode.Parse(payloadBytes)!.AsObject();
        payload["exp"] = AttestationFixture.T0 + (365 * 86400);
        var tampered = $"{parts[0]}.{StrictBase64.EncodeUrl(System.Text.Encoding.UTF8.GetBytes(payload.ToJsonString()))}.{parts[2]}";
        AssertRejected(await _f.Verifier().VerifyAsync(tampered), AttestationReason.BadSignature, -32002);
    }

    [Fact]
    public async Task Attack5_issuer_typosquatting()
    {
        var payload = AttestationFixture.Payload();
        payload["iss"] = "https://api.anthropic.org";
        var token = AttestationFixture.Forge(_f.AttackerKey, AttestationFixture.Header(kid: "typosquat-key"), payload);
        AssertRejected(await _f.Verifier().VerifyAsync(token), AttestationReason.UntrustedIssuer, -32005);
    }

    [Fact]
    public async Task Attack6_downgrade_by_omission()
    {
        var verdict = await _f.Verifier().VerifyAsync(null);
        AssertRejected(verdict, AttestationReason.Missing, -32001);
        Assert.False(AttestationPlacement.TryGetInitializeToken(new JsonObject { ["capabilities"] = new JsonObject { ["experimental"] = new JsonObject() } }, out _));
    }

    [Fact]
    public async Task Attack7_audience_mismatch()
    {
        var token = _f.Honest(AttestationFixture.Request(audience: "https://server-a.example.com"));
        AssertRejected(await _f.Verifier().VerifyAsync(token), AttestationReason.AudienceMismatch, -32002);
    }

    [Fact]
    public async Task Attack8_safety_downgrade_rewrites_the_level()
    {
        var parts = _f.Honest(AttestationFixture.Request(safety: SafetyLevel.Enhanced)).Split('.');
        Assert.True(StrictBase64.TryDecodeUrl(parts[1], out var payloadBytes));
        var payload = JsonNode.Parse(payloadBytes)!.AsObject();
        payload["attestation_metadata"]!["safety_level"] = "minimal";
        var tampered = $"{parts[0]}.{StrictBase64.EncodeUrl(System.Text.Encoding.UTF8.GetBytes(payload.ToJsonString()))}.{parts[2]}";
        AssertRejected(await _f.Verifier().VerifyAsync(tampered), AttestationReason.BadSignature, -32002);
    }

    [Fact]
    public async Task Replay_at_exp_plus_5s_after_a_store_cleanup_is_still_a_replay()
    {
        var verifier = _f.Verifier();
        var token = _f.Honest();
        Assert.True((await verifier.VerifyAsync(token)).Verified);
        _f.Clock.Set(DateTimeOffset.FromUnixTimeSeconds(AttestationFixture.T0 + 300 + 5));
        await _f.Store.PurgeExpiredAsync();
        AssertRejected(await verifier.VerifyAsync(token), AttestationReason.Replay, -32004);
    }

    [Fact]
    public async Task Tampered_token_under_preferred_is_refused_not_waved_through()
    {
        var token = AttestationFixture.Forge(_f.AttackerKey, AttestationFixture.Header(), AttestationFixture.Payload());
        var verdict = await _f.Verifier(o => o with { Mode = AttestationPolicyMode.Preferred }).VerifyAsync(token);
        Assert.Equal(AttestationReason.BadSignature, verdict.Reason);
        Assert.False(verdict.ShouldProceed);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("HS256")]
    [InlineData("RS256")]
    [InlineData("ES384")]
    public async Task Algorithms_outside_the_allow_list(string alg)
    {
        var token = AttestationFixture.Forge(_f.IssuerKey, AttestationFixture.Header(alg: alg), AttestationFixture.Payload());
        AssertRejected(await _f.Verifier().VerifyAsync(token), AttestationReason.BadAlgorithm, -32002);
    }

    [Fact]
    public async Task Hs256_with_the_public_key_as_hmac_secret()
    {
        var h = StrictBase64.EncodeUrl(System.Text.Encoding.UTF8.GetBytes(AttestationFixture.Header(alg: "HS256").ToJsonString()));
        var p = StrictBase64.EncodeUrl(System.Text.Encoding.UTF8.GetBytes(AttestationFixture.Payload().ToJsonString()));
        var mac = HMACSHA256.HashData(_f.IssuerKey.PublicKey.RawPublicKey.Span, JwsSigningInput.Create(h, p));
        AssertRejected(await _f.Verifier().VerifyAsync($"{h}.{p}.{StrictBase64.EncodeUrl(mac)}"), AttestationReason.BadAlgorithm, -32002);
    }

    [Fact]
    public async Task Es256_header_with_an_okp_key_is_algorithm_confusion()
    {
        using var ec = SigningKey.Generate(SignatureAlgorithm.ES256);
        var token = AttestationFixture.Forge(ec, AttestationFixture.Header(alg: "ES256"), AttestationFixture.Payload());
        AssertRejected(await _f.Verifier().VerifyAsync(token), AttestationReason.KeyAlgorithmMismatch, -32002);
    }

    [Fact]
    public async Task Jku_and_jwk_header_injection_are_ignored()
    {
        var header = AttestationFixture.Header();
        header["jwk"] = JsonNode.Parse(_f.AttackerKey.PublicKey.ToJsonWebKey().ToJson());
        header["jku"] = "https://evil.example/jwks.json";
        var token = AttestationFixture.Forge(_f.AttackerKey, header, AttestationFixture.Payload());
        AssertRejected(await _f.Verifier().VerifyAsync(token), AttestationReason.BadSignature, -32002);
    }

    [Fact]
    public async Task Future_iat_beyond_the_skew()
    {
        var token = _f.Sign(AttestationFixture.Payload(iat: AttestationFixture.T0 + 3600));
        AssertRejected(await _f.Verifier().VerifyAsync(token), AttestationReason.NotYetValid, -32003);
        var noNbf = AttestationFixture.Payload(iat: AttestationFixture.T0 + 3600);
        noNbf.Remove("nbf");
        AssertRejected(await _f.Verifier().VerifyAsync(_f.Sign(noNbf)), AttestationReason.IssuedInFuture, -32003);
    }

    [Fact]
    public async Task Twenty_four_hour_token()
    {
        AssertRejected(await _f.Verifier().VerifyAsync(_f.Sign(AttestationFixture.Payload(lifetime: 86400))), AttestationReason.LifetimeTooLong, -32003);
    }

    [Fact]
    public async Task Same_jti_from_another_issuer_is_accepted()
    {
        using var otherKey = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        const string other = "https://issuer-two.example";
        var keys2 = new StaticJwsKeyResolver(new Dictionary<string, VerificationKey> { ["k2"] = otherKey.PublicKey });
        var verifier = _f.Verifier(o => o with { Issuers = [new TrustedIssuer(AttestationFixture.Issuer, _f.Keys), new TrustedIssuer(other, keys2)] });
        Assert.True((await verifier.VerifyAsync(_f.Sign(AttestationFixture.Payload()))).Verified);
        var payload = AttestationFixture.Payload();
        payload["iss"] = other;
        Assert.True((await verifier.VerifyAsync(AttestationFixture.Forge(otherKey, AttestationFixture.Header(kid: "k2"), payload))).Verified);
    }

    [Fact]
    public async Task Jwks_with_a_private_key_does_not_yield_that_key()
    {
        var jwk = JsonNode.Parse(AgentTrust.Keys.JsonWebKey.ForPrivateKey(_f.IssuerKey, AttestationFixture.Kid).ToJson())!;
        var jwks = new JsonObject { ["keys"] = new JsonArray(jwk) }.ToJsonString();
        Assert.True(JsonWebKeySetResolver.TryParse(jwks, out var resolver, out _));
        Assert.Single(resolver!.IgnoredKeys);
        AssertRejected(await _f.Verifier(keys: resolver).VerifyAsync(_f.Honest()), AttestationReason.UnknownKeyId, -32002);
    }

    [Fact]
    public async Task Jwks_with_two_keys_under_one_kid_makes_the_kid_unusable()
    {
        var a = JsonNode.Parse(_f.IssuerKey.PublicKey.ToJsonWebKey().With(kid: AttestationFixture.Kid).ToJson())!;
        var b = JsonNode.Parse(_f.AttackerKey.PublicKey.ToJsonWebKey().With(kid: AttestationFixture.Kid).ToJson())!;
        Assert.True(JsonWebKeySetResolver.TryParse(new JsonObject { ["keys"] = new JsonArray(a, b) }.ToJsonString(), out var resolver, out _));
        AssertRejected(await _f.Verifier(keys: resolver).VerifyAsync(_f.Honest()), AttestationReason.UnknownKeyId, -32002);
    }

    [Fact]
    public async Task Stateless_representation_from_a_different_passport_is_refused()
    {
        using var agent = SigningKey.Generate(SignatureAlgorithm.ES256);
        using var other = SigningKey.Generate(SignatureAlgorithm.ES256);
        var token = _f.Honest(AttestationFixture.Request(cnf: agent.PublicKey.Thumbprint));
        var verifier = _f.Verifier();
        var own = new AttestationPresentation { Stateless = true, SignerThumbprint = agent.PublicKey.Thumbprint };
        Assert.True((await verifier.VerifyAsync(token, own)).Verified);
        Assert.True((await verifier.VerifyAsync(token, own)).Verified);
        var stolen = new AttestationPresentation { Stateless = true, SignerThumbprint = other.PublicKey.Thumbprint };
        AssertRejected(await verifier.VerifyAsync(token, stolen), AttestationReason.ConfirmationMismatch, -32002);
        AssertRejected(await verifier.VerifyAsync(token, new AttestationPresentation { Stateless = true }), AttestationReason.ConfirmationMismatch, -32002);
    }

    [Fact]
    public async Task Stateless_representation_of_an_unbound_token_is_a_replay_unless_bearer_reuse_is_allowed()
    {
        var token = _f.Honest();
        var stateless = new AttestationPresentation { Stateless = true };
        var verifier = _f.Verifier();
        Assert.True((await verifier.VerifyAsync(token, stateless)).Verified);
        AssertRejected(await verifier.VerifyAsync(token, stateless), AttestationReason.Replay, -32004);

        var token2 = _f.Honest();
        var lenient = _f.Verifier(o => o with { AllowBearerReuse = true });
        Assert.True((await lenient.VerifyAsync(token2, stateless)).Verified);
        Assert.True((await lenient.VerifyAsync(token2, stateless)).Verified);
        AssertRejected(await lenient.VerifyAsync(token2), AttestationReason.Replay, -32004);
    }

    [Fact]
    public async Task Replay_store_exhaustion_rejects_new_tokens_and_keeps_live_entries()
    {
        var small = new InMemoryReplayStore(new ReplayStoreOptions { MaxEntries = 2, MaxEntriesPerPartition = 2 }, _f.Clock);
        var verifier = _f.Verifier(store: small);
        var first = _f.Honest();
        Assert.True((await verifier.VerifyAsync(first)).Verified);
        Assert.True((await verifier.VerifyAsync(_f.Honest())).Verified);
        AssertRejected(await verifier.VerifyAsync(_f.Honest()), AttestationReason.ReplayStoreFull, -32002);
        AssertRejected(await verifier.VerifyAsync(first), AttestationReason.Replay, -32004);
    }
}
