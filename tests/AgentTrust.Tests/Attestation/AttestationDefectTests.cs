using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AgentTrust.Attestation;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Jose;
using AgentTrust.Replay;

namespace AgentTrust.Tests.Attestation;

/// <summary>Each defect of the reference (attestation.md §12) with a test proving AgentTrust does not share it.</summary>
public sealed class AttestationDefectTests : IDisposable
{
    private const long T0 = AttestationFixture.T0;
    private readonly AttestationFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task Defect1_no_mock_signature_fallback()
    {
        // The Python fallback "signature" = first 32 bytes of SHA-256(signing input).
        var h = StrictBase64.EncodeUrl(System.Text.Encoding.UTF8.GetBytes(AttestationFixture.Header().ToJsonString()));
        var p = StrictBase64.EncodeUrl(System.Text.Encoding.UTF8.GetBytes(AttestationFixture.Payload().ToJsonString()));
        var mock = SHA256.HashData(JwsSigningInput.Create(h, p));
        var verdict = await _f.Verifier().VerifyAsync($"{h}.{p}.{StrictBase64.EncodeUrl(mock)}");
        Assert.Equal(AttestationReason.BadSignature, verdict.Reason);
    }

    [Fact]
    public async Task Defect2_entry_held_until_exp_plus_skew()
    {
        var verifier = _f.Verifier();
        var token = _f.Honest();
        Assert.True((await verifier.VerifyAsync(token)).Verified);
        foreach (var offset in new[] { 300, 301, 329 })
        {
            _f.Clock.Set(DateTimeOffset.FromUnixTimeSeconds(T0 + offset));
            await _f.Store.PurgeExpiredAsync();
            Assert.Equal(AttestationReason.Replay, (await verifier.VerifyAsync(token)).Reason);
        }

        _f.Clock.Set(DateTimeOffset.FromUnixTimeSeconds(T0 + 330));
        Assert.Equal(AttestationReason.Expired, (await verifier.VerifyAsync(token)).Reason);
    }

    [Fact]
    public async Task Defect3_a_rejected_token_does_not_burn_its_jti()
    {
        var token = _f.Honest();
        var strict = _f.Verifier(o => o with { MinSafetyLevel = SafetyLevel.Enhanced });
        Assert.Equal(AttestationReason.SafetyBelowMinimum, (await strict.VerifyAsync(token)).Reason);
        Assert.Equal(0, await _f.Store.CountAsync());
        Assert.True((await _f.Verifier().VerifyAsync(token)).Verified);
    }

    [Fact]
    public void Defect4_a_server_verifier_cannot_be_built_without_an_audience()
    {
        Assert.Throws<ArgumentException>(() => _f.Verifier(o => o with { Audience = "" }));
        Assert.Throws<ArgumentException>(() => _f.Verifier(o => o with { Audience = " " }));
    }

    [Fact]
    public async Task Defect4_a_token_without_aud_is_rejected()
    {
        var payload = AttestationFixture.Payload();
        payload.Remove("aud");
        Assert.Equal(AttestationReason.AudienceMismatch, (await _f.Verifier().VerifyAsync(_f.Sign(payload))).Reason);
        payload["aud"] = new JsonArray();
        Assert.Equal(AttestationReason.AudienceMismatch, (await _f.Verifier().VerifyAsync(_f.Sign(payload))).Reason);
        payload["aud"] = new JsonArray("https://other.example", AttestationFixture.Audience);
        Assert.True((await _f.Verifier().VerifyAsync(_f.Sign(payload))).Verified);
    }

    [Theory]
    [InlineData(900, true)]
    [InlineData(901, false)]
    public async Task Defect5_lifetime_is_bounded_but_usable_age_is_not_capped(long lifetime, bool accepted)
    {
        // Python caps usable age at 330 s whatever the lifetime; AgentTrust accepts a 900 s token 800 s after iat.
        _f.Clock.Set(DateTimeOffset.FromUnixTimeSeconds(T0 + 800));
        var verdict = await _f.Verifier().VerifyAsync(_f.Sign(AttestationFixture.Payload(lifetime: lifetime)));
        Assert.Equal(accepted, verdict.Verified);
        if (!accepted)
        {
            Assert.Equal(AttestationReason.LifetimeTooLong, verdict.Reason);
        }
    }

    // Defect 6: one symmetric skew S = 30 s at every boundary (TS: exp−29/nbf+30, Python: leeway 0).
    [Theory]
    [InlineData("exp", 300 + 29, null)]
    [InlineData("exp", 300 + 30, AttestationReason.Expired)]
    [InlineData("nbf", 100 - 30, null)]
    [InlineData("nbf", 100 - 31, AttestationReason.NotYetValid)]
    [InlineData("iat", 100 - 30, null)]
    [InlineData("iat", 100 - 31, AttestationReason.IssuedInFuture)]
    public async Task Defect6_one_skew_at_every_boundary(string claim, long nowOffset, AttestationReason? expected)
    {
        var payload = claim switch
        {
            "exp" => AttestationFixture.Payload(),
            "nbf" => AttestationFixture.Payload(),
            _ => AttestationFixture.Payload(iat: T0 + 100),
        };
        if (claim == "nbf")
        {
            payload["nbf"] = T0 + 100;
        }
        else if (claim == "iat")
        {
            payload.Remove("nbf");
        }

        _f.Clock.Set(DateTimeOffset.FromUnixTimeSeconds(T0 + nowOffset));
        var verdict = await _f.Verifier().VerifyAsync(_f.Sign(payload));
        Assert.Equal(expected ?? AttestationReason.None, verdict.Reason);
    }

    [Fact]
    public async Task Defect7_concurrent_presentations_verify_exactly_once()
    {
        var verifier = _f.Verifier();
        var token = _f.Honest();
        var verdicts = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(async () => await verifier.VerifyAsync(token))));
        Assert.Equal(1, verdicts.Count(v => v.Verified));
        Assert.Equal(31, verdicts.Count(v => v.Reason == AttestationReason.Replay));
    }

    [Fact]
    public async Task Defect7_replay_store_unavailable_fails_closed()
    {
        var verdict = await _f.Verifier(store: new BrokenStore()).VerifyAsync(_f.Honest());
        Assert.Equal(AttestationReason.ReplayStoreUnavailable, verdict.Reason);
        Assert.False(verdict.ShouldProceed);
    }

    [Fact]
    public async Task Defect9_typ_is_checked()
    {
        Assert.Equal(AttestationReason.BadType, (await _f.Verifier().VerifyAsync(_f.Sign(AttestationFixture.Payload(), AttestationFixture.Header(typ: null)))).Reason);
        Assert.Equal(AttestationReason.BadType, (await _f.Verifier().VerifyAsync(_f.Sign(AttestationFixture.Payload(), AttestationFixture.Header(typ: "at+jwt")))).Reason);
        Assert.True((await _f.Verifier().VerifyAsync(_f.Sign(AttestationFixture.Payload(jti: "a1"), AttestationFixture.Header(typ: "Agent-Attestation+JWT")))).Verified);
        Assert.True((await _f.Verifier(o => o with { AllowMissingTyp = true }).VerifyAsync(_f.Sign(AttestationFixture.Payload(jti: "a2"), AttestationFixture.Header(typ: null)))).Verified);
    }

    [Theory]
    [InlineData("claude")]
    [InlineData("spiffe://Anthropic.com/model/x")]
    [InlineData("spiffe://anthropic.com")]
    [InlineData("spiffe://anthropic.com/model/../x")]
    [InlineData("spiffe://anthropic.com/model//x")]
    [InlineData("spiffe://anthropic.com:443/model/x")]
    [InlineData("spiffe://anthropic.com/model/x?q=1")]
    [InlineData("https://anthropic.com/model/x")]
    public async Task Defect9_sub_must_be_a_spiffe_id(string sub)
    {
        var payload = AttestationFixture.Payload();
        payload["sub"] = sub;
        Assert.Equal(AttestationReason.BadSubject, (await _f.Verifier().VerifyAsync(_f.Sign(payload))).Reason);
    }

    [Fact]
    public async Task Defect9_spiffe_trust_domain_is_bound_to_the_issuer_and_compat_switch_accepts_plain_subjects()
    {
        var bound = _f.Verifier(o => o with { Issuers = [new TrustedIssuer(AttestationFixture.Issuer, _f.Keys) { SpiffeTrustDomain = "other.org" }] });
        Assert.Equal(AttestationReason.BadSubject, (await bound.VerifyAsync(_f.Honest())).Reason);
        var payload = AttestationFixture.Payload();
        payload["sub"] = "claude";
        Assert.True((await _f.Verifier(o => o with { AllowNonSpiffeSubject = true }).VerifyAsync(_f.Sign(payload))).Verified);
    }

    [Fact]
    public async Task Defect9_enterprise_trust_level_and_type_allow_list()
    {
        var payload = AttestationFixture.Payload();
        payload["attestation_metadata"]!["attestation_type"] = "enterprise";
        var verdict = await _f.Verifier().VerifyAsync(_f.Sign(payload));
        Assert.Equal(AttestationTrustLevel.Enterprise, verdict.TrustLevel);
        var providerOnly = _f.Verifier(o => o with
        {
            Issuers = [new TrustedIssuer(AttestationFixture.Issuer, _f.Keys) { AllowedAttestationTypes = new HashSet<AttestationType> { AttestationType.Provider } }],
        });
        payload["jti"] = "another";
        var refused = await providerOnly.VerifyAsync(_f.Sign(payload));
        Assert.Equal(AttestationReason.TypeNotAllowed, refused.Reason);
        Assert.Equal(-32006, refused.JsonRpcCode);
    }

    [Theory]
    [InlineData(SafetyLevel.Minimal, SafetyLevel.Standard, false)]
    [InlineData(SafetyLevel.Standard, SafetyLevel.Standard, true)]
    [InlineData(SafetyLevel.Enhanced, SafetyLevel.Standard, true)]
    public async Task Defect9_minimum_safety_level(SafetyLevel token, SafetyLevel minimum, bool accepted)
    {
        var verdict = await _f.Verifier(o => o with { MinSafetyLevel = minimum }).VerifyAsync(_f.Honest(AttestationFixture.Request(safety: token)));
        Assert.Equal(accepted, verdict.Verified);
        Assert.Equal(accepted ? AttestationReason.None : AttestationReason.SafetyBelowMinimum, verdict.Reason);
    }

    [Fact]
    public async Task Defect9_integrity_hashes_are_compared_when_pinned()
    {
        var config = AgentIntegrity.Digest("config");
        var token = _f.Honest(AttestationFixture.Request() with { Integrity = new AgentIntegrity(config, AgentIntegrity.Digest("prompt")) });
        Assert.Equal(AttestationReason.IntegrityMismatch, (await _f.Verifier(o => o with { ExpectedConfigHash = AgentIntegrity.Digest("other") }).VerifyAsync(token)).Reason);
        Assert.True((await _f.Verifier(o => o with { ExpectedConfigHash = config }).VerifyAsync(token)).Verified);
    }

    [Fact]
    public async Task Defect9_unknown_claims_are_accepted_and_reported()
    {
        var payload = AttestationFixture.Payload();
        payload["x_custom"] = 1;
        var verdict = await _f.Verifier().VerifyAsync(_f.Sign(payload));
        Assert.True(verdict.Verified);
        Assert.Equal(["x_custom"], verdict.UnknownClaims);
    }

    [Theory]
    [InlineData("agent_identity")]
    [InlineData("attestation_metadata")]
    public async Task Missing_required_claims_are_claims_insufficient(string claim)
    {
        var payload = AttestationFixture.Payload();
        payload.Remove(claim);
        var verdict = await _f.Verifier().VerifyAsync(_f.Sign(payload));
        Assert.Equal(AttestationReason.MissingClaim, verdict.Reason);
        Assert.Equal(-32006, verdict.JsonRpcCode);
    }

    [Theory]
    [InlineData("safety_level", "\"reckless\"")]
    [InlineData("attestation_type", "\"self\"")]
    [InlineData("attestation_version", "\"0.2.0\"")]
    [InlineData("capabilities_declared", "\"tools\"")]
    public async Task Metadata_schema_and_enums_are_enforced(string member, string json)
    {
        var payload = AttestationFixture.Payload();
        payload["attestation_metadata"]![member] = JsonNode.Parse(json);
        Assert.Equal(AttestationReason.BadClaim, (await _f.Verifier().VerifyAsync(_f.Sign(payload))).Reason);
    }

    [Fact]
    public async Task Metadata_members_are_all_required_unlike_the_ts_defaults()
    {
        var payload = AttestationFixture.Payload();
        payload["attestation_metadata"] = new JsonObject();
        Assert.Equal(AttestationReason.MissingClaim, (await _f.Verifier().VerifyAsync(_f.Sign(payload))).Reason);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("ü")]
    public async Task Jti_must_be_printable_ascii(string jti)
    {
        var payload = AttestationFixture.Payload(jti: jti);
        Assert.Equal(AttestationReason.MissingJti, (await _f.Verifier().VerifyAsync(_f.Sign(payload))).Reason);
    }

    [Fact]
    public void Defect10_error_response_keeps_the_id_and_carries_the_code()
    {
        var verdict = AttestationVerdict.Rejected(AttestationPolicyMode.Required, AttestationReason.BadSignature);
        var response = AttestationPlacement.CreateErrorResponse(JsonValue.Create(7), verdict, [AttestationFixture.Issuer]);
        Assert.Equal(7, response["id"]!.GetValue<int>());
        Assert.Equal(-32002, response["error"]!["code"]!.GetValue<int>());
        Assert.Equal("MCPS-020", response["error"]!["data"]!["mcps_code"]!.GetValue<string>());
        Assert.Equal("bad_signature", response["error"]!["data"]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Verdict_capability_emits_the_union_shape_and_reads_back()
    {
        var verdict = await _f.Verifier().VerifyAsync(_f.Honest());
        var node = AttestationPlacement.CreateVerdictCapability(verdict);
        Assert.Equal("verified", node["verification_status"]!.GetValue<string>());
        Assert.IsType<JsonArray>(node["verified_claims"]);
        Assert.True(AttestationPlacement.TryReadVerdict(node, out var read));
        Assert.Equal(AttestationFixture.Issuer, read!.Issuer);
        Assert.Equal("provider", read.TrustLevel);
    }

    [Fact]
    public async Task Oversized_token_is_malformed_before_parsing()
    {
        var verdict = await _f.Verifier(o => o with { MaxTokenBytes = 100 }).VerifyAsync(_f.Honest());
        Assert.Equal(AttestationReason.Malformed, verdict.Reason);
    }

    [Fact]
    public async Task Crit_header_is_rejected()
    {
        var header = AttestationFixture.Header();
        header["crit"] = new JsonArray("exp");
        header["exp"] = 1;
        Assert.Equal(AttestationReason.Critical, (await _f.Verifier().VerifyAsync(_f.Sign(AttestationFixture.Payload(), header))).Reason);
    }

    [Fact]
    public async Task Missing_or_long_kid_is_rejected()
    {
        Assert.Equal(AttestationReason.MissingKeyId, (await _f.Verifier().VerifyAsync(_f.Sign(AttestationFixture.Payload(), AttestationFixture.Header(kid: null)))).Reason);
        Assert.Equal(AttestationReason.MissingKeyId, (await _f.Verifier().VerifyAsync(_f.Sign(AttestationFixture.Payload(), AttestationFixture.Header(kid: new string('k', 257))))).Reason);
    }

    [Fact]
    public async Task Key_source_failure_is_jwks_unavailable_and_fails_closed_except_under_optional()
    {
        var down = new DownKeys();
        var required = await _f.Verifier(keys: down).VerifyAsync(_f.Honest());
        Assert.Equal(AttestationReason.JwksUnavailable, required.Reason);
        Assert.False(required.ShouldProceed);
        Assert.False((await _f.Verifier(o => o with { Mode = AttestationPolicyMode.Preferred }, keys: down).VerifyAsync(_f.Honest())).ShouldProceed);
        var optional = await _f.Verifier(o => o with { Mode = AttestationPolicyMode.Optional }, keys: down).VerifyAsync(_f.Honest());
        Assert.True(optional.ShouldProceed);
        Assert.False(optional.Verified);
        Assert.Equal(AttestationTrustLevel.None, optional.TrustLevel);
    }

    [Theory]
    [InlineData(AttestationPolicyMode.Required, false, false, false)]
    [InlineData(AttestationPolicyMode.Preferred, true, false, true)]
    [InlineData(AttestationPolicyMode.Optional, true, true, true)]
    public async Task Policy_modes_have_exact_semantics(AttestationPolicyMode mode, bool missingProceeds, bool invalidProceeds, bool validProceeds)
    {
        var verifier = _f.Verifier(o => o with { Mode = mode });
        var missing = await verifier.VerifyAsync(null);
        Assert.Equal(missingProceeds, missing.ShouldProceed);
        Assert.Equal(AttestationTrustLevel.None, missing.TrustLevel);
        var forged = AttestationFixture.Forge(_f.AttackerKey, AttestationFixture.Header(), AttestationFixture.Payload());
        Assert.Equal(invalidProceeds, (await verifier.VerifyAsync(forged)).ShouldProceed);
        Assert.True((await verifier.VerifyAsync(_f.Honest())).ShouldProceed || !validProceeds);
    }

    [Fact]
    public async Task Es256_issuer_tokens_verify_and_high_s_is_rejected()
    {
        using var f = new AttestationFixture(SignatureAlgorithm.ES256);
        var token = f.Honest();
        Assert.StartsWith(StrictBase64.EncodeUrl("{\"alg\":\"ES256\",\"typ\":\"JWT\""u8)[..20], token, StringComparison.Ordinal);
        var parts = token.Split('.');
        Assert.True(StrictBase64.TryDecodeUrl(parts[2], out var sig));
        var high = EcdsaP256Test.ToHighS(sig);
        Assert.Equal(AttestationReason.BadSignature, (await f.Verifier().VerifyAsync($"{parts[0]}.{parts[1]}.{StrictBase64.EncodeUrl(high)}")).Reason);
        Assert.True((await f.Verifier().VerifyAsync(token)).Verified);
    }

    [Fact]
    public void Issuer_refuses_bad_requests()
    {
        Assert.Throws<ArgumentException>(() => _f.Minter.Issue(AttestationFixture.Request() with { Subject = "claude" }));
        Assert.Throws<ArgumentException>(() => _f.Minter.Issue(AttestationFixture.Request() with { AgentIdentity = new AgentIdentity("", "v", "p") }));
        Assert.Throws<ArgumentException>(() => new AttestationTokenIssuer(_f.IssuerKey, "k", "http://issuer.example"));
        _ = new AttestationTokenIssuer(_f.IssuerKey, "k", "http://127.0.0.1:8080");
    }

    private sealed class BrokenStore : IReplayStore
    {
        public ValueTask<ReplayCheckResult> TryRegisterAsync(string partition, string value, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(ReplayCheckResult.StoreUnavailable);

        public ValueTask<long> PurgeExpiredAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(0L);

        public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(0L);
    }

    private sealed class DownKeys : IJwsKeyResolver
    {
        public ValueTask<JwsKeyResolution> ResolveAsync(string? keyId, SignatureAlgorithm algorithm, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(JwsKeyResolution.Failed(JwsStatus.KeySourceUnavailable, "down"));
    }
}

internal static class EcdsaP256Test
{
    private static readonly System.Numerics.BigInteger N = System.Numerics.BigInteger.Parse("0ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", System.Globalization.NumberStyles.HexNumber);

    public static byte[] ToHighS(byte[] p1363)
    {
        var s = new System.Numerics.BigInteger(p1363.AsSpan(32), isUnsigned: true, isBigEndian: true);
        var high = (N - s).ToByteArray(isUnsigned: true, isBigEndian: true);
        var result = p1363.ToArray();
        Array.Clear(result, 32, 32);
        high.CopyTo(result, 64 - high.Length);
        return result;
    }
}
