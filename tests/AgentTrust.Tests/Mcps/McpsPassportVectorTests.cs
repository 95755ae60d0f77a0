using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Errors;
using AgentTrust.Mcps;
using AgentTrust.Mcps.Envelopes;
using AgentTrust.Mcps.Passports;

namespace AgentTrust.Tests.Mcps;

/// <summary><c>passports_js_model</c>: each entry's signing input, then every check through the AgentTrust operation.</summary>
public class McpsPassportVectorTests
{
    public static TheoryData<string> Passports => McpsVectors.Names("passports_js_model");

    [Theory]
    [MemberData(nameof(Passports))]
    public void Passport_entry(string name)
    {
        var vector = McpsVectors.Named("passports_js_model", name);
        var passportObject = (JsonObject)vector["passport"]!;
        var json = McpsVectors.Utf8(passportObject.ToJsonString());
        var withoutSignature = (JsonObject)passportObject.DeepClone();
        withoutSignature.Remove("signature");
        Assert.Equal(McpsVectors.Text(vector["signing_input_utf8"]),
            System.Text.Encoding.UTF8.GetString(AgentTrust.Json.JsonCanonicalizer.Canonicalize(withoutSignature, AgentTrust.Json.CanonicalJsonOptions.Default)));

        foreach (var check in ((JsonArray)vector["checks"]!).OfType<JsonObject>())
        {
            RunCheck(name, json, check);
        }
    }

    private static void RunCheck(string name, byte[] json, JsonObject check)
    {
        var op = (string)check["op"]!;
        var expected = check["expected"];
        var clock = McpsVectors.ClockAt((long?)check["at_ms"] ?? McpsVectors.VerifyAtMs);
        switch (op)
        {
            case "verifyPassportSignature":
            {
                Assert.True(AgentPassport.TryParse(json, out var passport, out _));
                var status = PassportVerifier.VerifySignature(passport!, McpsVectors.PublicKey((string)check["public_key"]!));
                Assert.Equal((bool)expected!, status == SignatureStatus.Valid);
                break;
            }

            case "validatePassportFormat":
            {
                var expectedValid = (bool)expected!["valid"]!;
                var expectedCode = (string?)expected["error_code"];
                var compat = new PassportVerifier(PassportTrustStore.Empty, McpsVerifierOptions.McpSecureCompat, clock).ValidateFormat(json);
                Assert.Equal(expectedValid, compat is null);
                Assert.Equal(expectedCode, compat?.Code.ToCodeString());

                var strict = new PassportVerifier(PassportTrustStore.Empty, McpsVerifierOptions.Default, clock).ValidateFormat(json);
                if (name == "ta_signed_agent_passport")
                {
                    // Deviation row "ta_signed_agent_passport, format check": 10-year lifetime > 365 days.
                    Assert.Equal(new McpsFailure(McpsCode.InvalidPassport, McpsReasons.BadValidity), strict);
                }
                else
                {
                    Assert.Equal(expectedCode, strict?.Code.ToCodeString());
                }

                break;
            }

            case "getEffectiveTrustLevel":
            {
                // Trust only through a verified chain to a configured KEY: every listed issuer name is configured with
                // the vectors' TA key; a name alone confers nothing.
                var anchors = new PassportTrustStore();
                foreach (var issuer in (check["trusted_issuers"] as JsonArray ?? []).Select(n => (string)n!))
                {
                    anchors.Add(issuer, McpsVectors.PublicKey("ta"));
                }

                var result = new PassportVerifier(anchors, McpsVerifierOptions.McpSecureCompat, clock).Verify(json);
                var expectedLevel = name == "unsigned_object_with_trusted_issuer_name"
                    ? 0 // Deviation row: the reference returns 3 for an unsigned object; AgentTrust 0.
                    : (int)expected!;
                Assert.Equal(expectedLevel, result.TrustLevel);
                break;
            }

            case "verifyIssuerChain":
            {
                var anchors = new PassportTrustStore();
                foreach (var (issuer, label) in (JsonObject)check["trust_store"]!)
                {
                    anchors.Add(issuer, McpsVectors.PublicKey((string)label!));
                }

                var compat = new PassportVerifier(anchors, McpsVerifierOptions.McpSecureCompat, clock).Verify(json);
                Assert.Equal((bool)expected!["valid"]!, compat.IsValid);
                if (compat.IsValid)
                {
                    Assert.Equal((string)expected["root_issuer"]!, compat.RootIssuer);
                    Assert.Equal((int)expected["chain_length"]!, compat.ChainLength);
                }
                else
                {
                    Assert.Equal(McpsCode.InvalidPassport, compat.Code);
                }

                var strict = new PassportVerifier(anchors, McpsVerifierOptions.Default with { MaxPassportLifetime = null }, clock).Verify(json);
                if (name == "issuer_chain_agent_intermediate_root")
                {
                    // Deviation row: the intermediate lacks passport:issue → MCPS-001 untrusted_chain (Default).
                    Assert.False(strict.IsValid);
                    Assert.Equal(McpsCode.InvalidPassport, strict.Code);
                    Assert.Equal(McpsReasons.UntrustedChain, strict.Reason);
                }
                else
                {
                    Assert.Equal(compat.IsValid, strict.IsValid);
                }

                break;
            }

            case "validateOrigin":
            {
                Assert.True(AgentPassport.TryParse(json, out var passport, out _));
                var failure = McpsOrigin.Check(passport!.Origin, (string)check["expected_origin"]!);
                Assert.Equal((bool)expected!["valid"]!, failure is null);
                Assert.Equal((string?)expected["error_code"], failure?.Code.ToCodeString());
                break;
            }

            default:
                Assert.Fail($"unknown op {op}");
                break;
        }
    }
}
