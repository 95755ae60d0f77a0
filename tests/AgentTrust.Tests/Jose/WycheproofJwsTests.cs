using System.Text.Json;
using AgentTrust.Cryptography;
using AgentTrust.Jose;
using AgentTrust.Keys;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Jose;

/// <summary>
/// Wycheproof json_web_signature_test.json and json_web_crypto_test.json (schemas json_web_signature_schema_v1 and
/// json_web_crypto_schema_v1: groups carry a private/public JWK or keyset, tests carry <c>jws</c> (compact string or a
/// JSON-serialization object) or <c>jwe</c>, and <c>result</c> valid/invalid). AgentTrust accepts only ES256 and EdDSA:
/// a "valid" case under another algorithm must be rejected by name (<see cref="JwsStatus.AlgorithmRejected"/>); every
/// "invalid" case must be rejected; JWE entries are not JWS and must be rejected as malformed.
/// </summary>
public sealed class WycheproofJwsTests
{
    private static readonly string[] Files = ["json_web_signature_test.json", "json_web_crypto_test.json"];

    private static readonly Lazy<Dictionary<string, (string Name, JsonElement Group, JsonElement Test, string File)>> All =
        new(() => Load().ToDictionary(c => c.Name, StringComparer.Ordinal));

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var name in All.Value.Keys)
        {
            data.Add(name);
        }

        return data;
    }

    private static IEnumerable<(string Name, JsonElement Group, JsonElement Test, string File)> Load()
    {
        foreach (var file in Files)
        {
            using var doc = JsonDocument.Parse(SharedFiles.ReadText("vectors", "wycheproof", file));
            foreach (var group in doc.RootElement.GetProperty("testGroups").EnumerateArray())
            {
                foreach (var test in group.GetProperty("tests").EnumerateArray())
                {
                    var name = $"{file.Replace("_test.json", "", StringComparison.Ordinal)}#{test.GetProperty("tcId").GetInt32()} {group.GetProperty("comment").GetString()}/{test.GetProperty("comment").GetString()}";
                    yield return (name, group.Clone(), test.Clone(), file);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Wycheproof_case(string name)
    {
        var (_, group, test, _) = All.Value[name];
        var expectedValid = test.GetProperty("result").GetString() == "valid";
        string token;
        if (test.TryGetProperty("jwe", out var jwe))
        {
            token = jwe.ValueKind == JsonValueKind.String ? jwe.GetString()! : jwe.GetRawText();
            using var anyKeyPair = SigningKey.Generate(SignatureAlgorithm.EdDSA);
            Assert.Equal(JwsStatus.Malformed, JwsVerifier.Verify(token, anyKeyPair.PublicKey).Status);
            return;
        }

        var jws = test.GetProperty("jws");
        token = jws.ValueKind == JsonValueKind.String ? jws.GetString()! : jws.GetRawText();
        var keys = new Dictionary<string, VerificationKey>(StringComparer.Ordinal);
        VerificationKey? anyKey = null;
        if (group.TryGetProperty("public", out var pub) && JwkAcceptance.TryAcceptForVerification(pub, out var jwk, out _))
        {
            anyKey = jwk!.ToVerificationKey();
            if (jwk.KeyId is not null)
            {
                keys[jwk.KeyId] = anyKey;
            }
        }

        var resolver = keys.Count > 0 ? new StaticJwsKeyResolver(keys) : new StaticJwsKeyResolver(keys, anyKey);
        var parse = JwsParseOptions.Default with { RequireJsonPayload = false };
        var result = await new JwsVerifier(resolver, parse).VerifyAsync(token);
        var headerAlg = CompactJws.TryParse(token, parse, out _, out var parseStatus, out _) ? "accepted" : parseStatus.ToString();

        if (!expectedValid)
        {
            Assert.False(result.IsValid, $"{name}: invalid case accepted");
            return;
        }

        if (!IsCanonicalCompact(token))
        {
            // Wycheproof accepts lenient base64 here; AgentTrust accepts one encoding only (PRODUCT.md: base64 inputs must be canonical).
            Assert.Equal(JwsStatus.Malformed, result.Status);
        }
        else if (!IsAcceptedAlgorithm(token))
        {
            Assert.Equal(JwsStatus.AlgorithmRejected, result.Status);
            Assert.False(string.IsNullOrEmpty(result.Reason));
        }
        else if (result.SignatureStatus == SignatureStatus.HighS)
        {
            // A mathematically valid high-S ES256 signature: rejected by default, accepted by the named compat profile.
            var compat = await new JwsVerifier(resolver, parse, SignatureVerificationOptions.HighSCompatible).VerifyAsync(token);
            Assert.True(compat.IsValid, $"{name}: {compat.Status} {compat.Reason}");
        }
        else
        {
            Assert.True(result.IsValid, $"{name}: {result.Status} {result.Reason} ({headerAlg})");
        }
    }

    private static bool IsCanonicalCompact(string token)
    {
        var parts = token.Split('.');
        return parts.Length == 3 && parts.All(p => AgentTrust.Encoding.StrictBase64.TryDecodeUrl(p, out _));
    }

    private static bool IsAcceptedAlgorithm(string token)
    {
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || !AgentTrust.Encoding.StrictBase64.TryDecodeUrl(token.AsSpan(0, dot), out var header))
        {
            return false;
        }

        try
        {
            using var doc = JsonDocument.Parse(header);
            return doc.RootElement.TryGetProperty("alg", out var alg) && alg.GetString() is "ES256" or "EdDSA";
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
