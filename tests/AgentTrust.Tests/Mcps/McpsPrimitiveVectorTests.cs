using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Errors;
using AgentTrust.Json;

namespace AgentTrust.Tests.Mcps;

/// <summary>The <c>jcs</c> and <c>p1363</c> sections of the MCPS vectors.</summary>
public class McpsPrimitiveVectorTests
{
    public static TheoryData<int> JcsEntries
    {
        get
        {
            var data = new TheoryData<int>();
            for (var i = 0; i < McpsVectors.Section("jcs").Count; i++)
            {
                data.Add(i);
            }

            return data;
        }
    }

    public static TheoryData<int> P1363Entries
    {
        get
        {
            var data = new TheoryData<int>();
            for (var i = 0; i < McpsVectors.Section("p1363").Count; i++)
            {
                data.Add(i);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(JcsEntries))]
    public void Jcs_entry(int index)
    {
        var entry = (JsonObject)McpsVectors.Section("jcs")[index]!;
        if (entry["input_json"] is null)
        {
            // NaN/Infinity are host values, not JSON: the canonicaliser API refuses non-finite doubles.
            Assert.Throws<CanonicalJsonException>(() => JsonCanonicalizer.FormatNumber(double.NaN));
            Assert.Throws<CanonicalJsonException>(() => JsonCanonicalizer.FormatNumber(double.PositiveInfinity));
            Assert.Throws<CanonicalJsonException>(() => JsonCanonicalizer.Canonicalize(JsonValue.Create(double.NegativeInfinity)));
            return;
        }

        var input = McpsVectors.Utf8(McpsVectors.Text(entry["input_json"]));
        var text = McpsVectors.Text(entry["input_json"]);

        // Plain RFC 8785 (agenttrust canon): matches every entry except the lone surrogate (deviation row "jcs \ud800").
        var plainOk = JsonCanonicalizer.TryCanonicalize(input, CanonicalJsonOptions.Default, out var plain, out var plainError);
        if (text == "\"\\ud800\"")
        {
            Assert.False(plainOk);
            Assert.Equal(McpsCode.NonCanonicalInput, plainError!.Code);
            Assert.Equal("lone_surrogate", plainError.Reason);
        }
        else
        {
            Assert.True(plainOk, plainError?.ToString());
            AssertExpected(entry, plain);
        }

        // The strict input profile of verifiers additionally refuses integer literals a double cannot hold exactly
        // (deviation row "jcs 9007199254740993"; 123456789012345680000 falls under the same mcps.md §2 rule).
        var strictOk = JsonCanonicalizer.TryCanonicalize(input, CanonicalJsonOptions.Strict, out var strict, out var strictError);
        if (text is "9007199254740993" or "123456789012345680000" or "\"\\ud800\"")
        {
            Assert.False(strictOk);
            Assert.Equal(McpsCode.NonCanonicalInput, strictError!.Code);
            return;
        }

        Assert.True(strictOk, strictError?.ToString());
        AssertExpected(entry, strict);
    }

    private static void AssertExpected(JsonObject entry, byte[] canonical)
    {
        Assert.Equal((string)entry["expected_utf8_hex"]!, Convert.ToHexStringLower(canonical));
        Assert.Equal((string)entry["sha256_hex"]!, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(canonical)));
    }

    [Theory]
    [MemberData(nameof(P1363Entries))]
    public void P1363_entry(int index)
    {
        var entry = (JsonObject)McpsVectors.Section("p1363")[index]!;
        var key = McpsVectors.PublicKey((string)entry["public_key"]!);
        var data = McpsVectors.Utf8((string)entry["data_utf8"]!);
        var p1363 = new byte[64];
        Assert.True(EcdsaP256.TryConvertDerToP1363(Convert.FromHexString((string)entry["der_hex"]!), p1363));
        Assert.Equal((string)entry["p1363_hex"]!, Convert.ToHexStringLower(p1363));

        var normalized = (byte[])p1363.Clone();
        EcdsaP256.NormalizeToLowS(normalized);
        Assert.Equal((string)entry["low_s_p1363_hex"]!, Convert.ToHexStringLower(normalized));
        Assert.Equal((bool)entry["s_is_high"]!, !EcdsaP256.IsLowS(p1363));

        var low = Convert.FromHexString((string)entry["low_s_p1363_hex"]!);
        var high = Convert.FromHexString((string)entry["high_s_p1363_hex"]!);
        Assert.Equal(SignatureStatus.Valid, key.Verify(data, low, SignatureVerificationOptions.HighSCompatible));
        Assert.Equal(SignatureStatus.Valid, key.Verify(data, high, SignatureVerificationOptions.HighSCompatible));
        Assert.Equal(SignatureStatus.Valid, key.Verify(data, low));
        Assert.Equal(SignatureStatus.HighS, key.Verify(data, high));
    }
}
