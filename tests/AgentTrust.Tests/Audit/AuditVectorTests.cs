using System.Text.Json.Nodes;
using AgentTrust.Audit;
using AgentTrust.Errors;
using AgentTrust.Receipts;
using AgentTrust.Tests.Receipts;
using Text = System.Text;

namespace AgentTrust.Tests.Audit;

public sealed class AuditVectorTests
{
    public static TheoryData<string> ChainVectors => new() { "audit_chain_valid", "audit_chain_tampered", "audit_chain_deleted" };

    [Theory]
    [MemberData(nameof(ChainVectors))]
    public async Task Chain_verification_matches_signet(string name)
    {
        var vector = SignetVectors.Vector(name);
        var expected = (JsonObject)vector["verify_chain"]!;
        var path = SignetVectors.FilePath(SignetVectors.S(vector["file"]));
        var report = await AuditVerifier.VerifyFilesAsync([path], null, new AuditVerificationOptions());
        Assert.Equal(expected["valid"]!.GetValue<bool>(), report.Valid);
        if (expected["break_point"] is JsonObject point)
        {
            Assert.NotNull(report.FirstBreak);
            Assert.Equal(point["line"]!.GetValue<long>(), report.FirstBreak!.Line);
            Assert.Equal(SignetVectors.S(point["expected_hash"]), report.FirstBreak.Expected);
            Assert.Equal(SignetVectors.S(point["actual_hash"]), report.FirstBreak.Actual);
            Assert.Equal(McpsCode.AuditChainBroken, report.FirstBreak.Code);
        }
        else
        {
            Assert.Equal(expected["total_records"]!.GetValue<long>(), report.RecordCount);
        }
    }

    [Fact]
    public void Stored_record_hashes_recompute()
    {
        var vector = SignetVectors.Vector("audit_chain_valid");
        var lines = File.ReadAllLines(SignetVectors.FilePath("audit_chain_valid.jsonl"));
        var prev = SignetVectors.S(vector["genesis"]);
        for (var i = 0; i < lines.Length; i++)
        {
            var bytes = Text.Encoding.UTF8.GetBytes(lines[i]);
            Assert.Null(AuditRecordFormat.TryParseLine(bytes, out var receipt, out var storedPrev, out var stored, out _));
            Assert.Equal(prev, storedPrev);
            Assert.Null(AuditRecordFormat.CheckRecordHash(bytes.AsSpan()[receipt], prev, stored!, out var recomputed));
            Assert.Equal(SignetVectors.S(vector["record_hashes"]![i]), recomputed);
            prev = recomputed;
        }
    }

    [Fact]
    public void Encrypted_params_of_record_2_decrypt_with_the_hkdf_key_and_aad()
    {
        var vector = SignetVectors.Vector("audit_chain_valid");
        var seed = SignetVectors.Seed("agent");
        var key = new byte[32];
        AuditParamsEncryption.DeriveKey(seed, key);
        Assert.Equal(SignetVectors.S(vector["record2_audit_key_hex"]), Convert.ToHexStringLower(key));

        var line = File.ReadAllLines(SignetVectors.FilePath("audit_chain_valid.jsonl"))[1];
        var receipt = (JsonObject)JsonNode.Parse(line)!["receipt"]!;
        Assert.Equal(SignetVectors.S(vector["record2_aad_jcs"]), Text.Encoding.UTF8.GetString(AuditParamsEncryption.AssociatedData(receipt)!));
        var decrypted = AuditParamsEncryption.TryDecrypt(receipt, seed, out var reason);
        Assert.Null(reason);
        Assert.Equal(SignetVectors.S(vector["record2_plaintext_jcs"]), Text.Encoding.UTF8.GetString(AgentTrust.Json.JsonCanonicalizer.Canonicalize(decrypted!["action"]!["params"], AgentTrust.Json.CanonicalJsonOptions.Strict)));
    }

    [Fact]
    public void Encrypted_params_fail_with_a_foreign_seed_or_tampered_aad()
    {
        var line = File.ReadAllLines(SignetVectors.FilePath("audit_chain_valid.jsonl"))[1];
        var receipt = (JsonObject)JsonNode.Parse(line)!["receipt"]!;
        Assert.Null(AuditParamsEncryption.TryDecrypt(receipt, new byte[32], out var reason));
        Assert.Equal("params_key_mismatch", reason);
        var seed = SignetVectors.Seed("agent");
        var tampered = (JsonObject)receipt.DeepClone();
        tampered["ts"] = "2026-04-01T09:01:01.000Z";
        Assert.Null(AuditParamsEncryption.TryDecrypt(tampered, seed, out reason));
        Assert.Equal("params_decrypt_failed", reason);
    }

    [Fact]
    public async Task Signature_sweep_verifies_every_record_when_the_params_key_is_available()
    {
        var seed = SignetVectors.Seed("agent");
        var agent = SignetVectors.PublicKey("agent");
        var path = SignetVectors.FilePath("audit_chain_valid.jsonl");
        var withKey = await AuditVerifier.VerifyFilesAsync([path], null, new AuditVerificationOptions
        {
            Signatures = true,
            TrustAnchors = SignetVectors.AllFixedKeys(),
            ParamsSeedResolver = kid => kid == agent ? (byte[])seed.Clone() : null,
        });
        Assert.True(withKey.Valid, withKey.FirstBreak?.Reason);
        Assert.Equal(3, withKey.SignaturesVerified);
        Assert.Equal(3, withKey.TrustedSignatures);
        Assert.Equal(0, withKey.EncryptedUnverified);

        var withoutKey = await AuditVerifier.VerifyFilesAsync([path], null, new AuditVerificationOptions { Signatures = true });
        Assert.False(withoutKey.Valid);
        Assert.Null(withoutKey.FirstBreak);
        Assert.Equal(2, withoutKey.SignaturesVerified);
        Assert.Equal(1, withoutKey.EncryptedUnverified);
        Assert.Equal("params_encrypted_unverifiable", withoutKey.FirstUnverifiable!.Reason);
    }

    [Fact]
    public async Task A_throwing_key_resolver_fails_closed_without_stalling_the_sweep()
    {
        var path = SignetVectors.FilePath("audit_chain_valid.jsonl");
        var report = await AuditVerifier.VerifyFilesAsync([path], null, new AuditVerificationOptions
        {
            Signatures = true,
            ParamsSeedResolver = _ => throw new InvalidOperationException("resolver down"),
        });
        Assert.False(report.Valid);
        Assert.Equal(2, report.FirstBreak!.Line);
        Assert.Equal(McpsCode.InternalError, report.FirstBreak.Code);
    }

    [Fact]
    public async Task Tampered_record_1_also_fails_its_signature()
    {
        var line = File.ReadAllLines(SignetVectors.FilePath("audit_chain_tampered.jsonl"))[0];
        var receipt = JsonNode.Parse(line)!["receipt"]!.ToJsonString();
        var verdict = await new ReceiptVerifier().VerifyAsync(Text.Encoding.UTF8.GetBytes(receipt), ReceiptVerificationOptions.Forensic);
        Assert.Equal(SignetVectors.Vector("audit_chain_tampered")["signature_check_line1"]!.GetValue<bool>(), verdict.Valid);
        Assert.False(verdict.Valid);
    }
}
