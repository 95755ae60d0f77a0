using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Attestation;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Attestation;

public sealed class AttestationGateTests : IDisposable
{
    private readonly AttestationFixture _f = new();

    public void Dispose() => _f.Dispose();

    private static JsonElement Vectors()
    {
        using var doc = JsonDocument.Parse(SharedFiles.ReadText("interop", "attestation", "vectors.json"));
        return doc.RootElement.Clone();
    }

    [Fact]
    public async Task Reference_initialize_request_proceeds_and_the_echo_reads_back()
    {
        var v = Vectors();
        var gate = new AttestationGate(AttestationVectorTests.FreshVerifier(v.GetProperty("policy"), v.GetProperty("clock").GetProperty("default_verify_at").GetInt64(), out _));
        var request = JsonSerializer.SerializeToNode(v.GetProperty("protocol").GetProperty("initialize_request"))!.AsObject();
        var decision = await gate.EvaluateInitializeAsync(request);
        Assert.True(decision.Proceed);
        Assert.Equal(AttestationTrustLevel.Provider, decision.Verdict.TrustLevel);
        Assert.True(AttestationPlacement.TryReadVerdict(decision.Capability, out var read));
        Assert.Equal("verified", read!.VerificationStatus);
    }

    [Fact]
    public async Task Downgrade_initialize_is_refused_with_the_id_kept()
    {
        var v = Vectors();
        var downgrade = v.GetProperty("attacks").EnumerateArray().Single(c => c.GetProperty("id").GetString() == "downgrade");
        var gate = new AttestationGate(AttestationVectorTests.FreshVerifier(downgrade.GetProperty("verifier"), downgrade.GetProperty("verify_at").GetInt64(), out _));
        var request = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "initialize", ["params"] = JsonSerializer.SerializeToNode(downgrade.GetProperty("initialize_params")) };
        var decision = await gate.EvaluateInitializeAsync(request);
        Assert.False(decision.Proceed);
        Assert.Equal(1, decision.ErrorResponse!["id"]!.GetValue<int>());
        Assert.Equal(-32001, decision.ErrorResponse["error"]!["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task Stateless_requests_carry_the_token_on_every_request_bound_by_cnf()
    {
        using var agent = AgentTrust.Cryptography.SigningKey.Generate(AgentTrust.Cryptography.SignatureAlgorithm.ES256);
        var token = _f.Honest(AttestationFixture.Request(cnf: agent.PublicKey.Thumbprint));
        var gate = new AttestationGate(_f.Verifier());
        var signer = new AttestationPresentation { SignerThumbprint = agent.PublicKey.Thumbprint };
        for (var id = 1; id <= 3; id++)
        {
            var request = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = "tools/call", ["params"] = new JsonObject { ["name"] = "pay" } };
            AttestationPlacement.SetRequestToken(request["params"]!.AsObject(), token);
            var decision = await gate.EvaluateRequestAsync(request, signer);
            Assert.True(decision.Proceed, decision.Verdict.Reason.ToWireName());
            Assert.Equal("verified", decision.Capability!["verification_status"]!.GetValue<string>());
        }

        var stolen = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 9, ["method"] = "tools/call", ["params"] = new JsonObject() };
        AttestationPlacement.SetRequestToken(stolen["params"]!.AsObject(), token);
        var refused = await gate.EvaluateRequestAsync(stolen);
        Assert.False(refused.Proceed);
        Assert.Equal("cnf_mismatch", refused.ErrorResponse!["error"]!["data"]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Optional_mode_lets_a_missing_token_through_unattested()
    {
        var gate = new AttestationGate(_f.Verifier(o => o with { Mode = AttestationPolicyMode.Optional }));
        var decision = await gate.EvaluateRequestAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "tools/list", ["params"] = new JsonObject() });
        Assert.True(decision.Proceed);
        Assert.Equal(AttestationTrustLevel.None, decision.Verdict.TrustLevel);
    }
}
