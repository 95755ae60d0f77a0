using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Keys;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Keys;

public class JsonWebKeySetTests
{
    [Fact]
    public void Built_set_uses_thumbprint_kids_alg_and_use_and_round_trips()
    {
        using var es = SigningKey.Generate(SignatureAlgorithm.ES256);
        using var ed = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        var set = JsonWebKeySet.Create([es.PublicKey, ed.PublicKey]);
        Assert.Equal(es.PublicKey.Thumbprint, set.Keys[0].KeyId);
        Assert.Equal("ES256", set.Keys[0].Algorithm);
        Assert.Equal("EdDSA", set.Keys[1].Algorithm);
        Assert.All(set.Keys, k => Assert.Equal("sig", k.Use));
        Assert.All(set.Keys, k => Assert.False(k.HasPrivateKey));

        Assert.True(JsonWebKeySet.TryParse(set.ToJson(), out var parsed, out var error), error);
        Assert.True(parsed!.TryFindVerificationKey(ed.PublicKey.Thumbprint, out var found));
        Assert.Equal(ed.PublicKey, found);
        Assert.False(parsed.TryFind("unknown", out _));
        Assert.False(parsed.TryFind(ed.PublicKey.Thumbprint.ToUpperInvariant(), out _));
    }

    [Fact]
    public void Building_with_duplicate_kids_throws()
    {
        using var key = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        Assert.Throws<ArgumentException>(() => JsonWebKeySet.Create([key.PublicKey, key.PublicKey]));
        using var other = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        Assert.Throws<ArgumentException>(() => JsonWebKeySet.Create([key.PublicKey, other.PublicKey], _ => "same"));
    }

    public static TheoryData<string, string> RejectedSets()
    {
        using var key = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        var jwk = key.PublicKey.ToJsonWebKey().With(kid: "a").ToJson();
        var withD = JsonWebKey.ForPrivateKey(key, "a").ToJson();
        var noKid = key.PublicKey.ToJsonWebKey().ToJson();
        var enc = key.PublicKey.ToJsonWebKey().With(kid: "a", use: "enc").ToJson();
        return new TheoryData<string, string>
        {
            { "duplicate kid", $"{{\"keys\":[{jwk},{jwk}]}}" },
            { "private member d", $"{{\"keys\":[{withD}]}}" },
            { "no kid", $"{{\"keys\":[{noKid}]}}" },
            { "use enc", $"{{\"keys\":[{enc}]}}" },
            { "keys not an array", "{\"keys\":{}}" },
            { "no keys", "{}" },
            { "not json", "keys" },
            { "duplicate member", $"{{\"keys\":[],\"keys\":[{jwk}]}}" },
            { "key not an object", "{\"keys\":[1]}" },
        };
    }

    [Theory]
    [MemberData(nameof(RejectedSets))]
    public void Defective_published_sets_are_rejected(string description, string json)
    {
        Assert.False(JsonWebKeySet.TryParse(json, out var set, out var error), description);
        Assert.Null(set);
        Assert.NotNull(error);
    }

    [Fact]
    public void Attestation_interop_jwks_parses()
    {
        Assert.True(JsonWebKeySet.TryParse(SharedFiles.ReadBytes("interop", "attestation", "jwks.json"), out var set, out var error), error);
        Assert.True(set!.TryFindVerificationKey("anthropic-2025-01", out var key));
        Assert.Equal(SignatureAlgorithm.EdDSA, key!.Algorithm);
    }

    // ---- Wycheproof json_web_key_test ----

    public static TheoryData<int, string> WycheproofCases()
    {
        var data = new TheoryData<int, string>();
        foreach (var c in Cryptography.WycheproofFile.Load("json_web_key_test.json").Cases)
        {
            data.Add(c.TcId, c.Group.GetProperty("comment").GetString() + ": " + c.Comment);
        }

        return data;
    }

    /// <summary>
    /// Every Wycheproof JWK set is one AgentTrust must refuse as a published set (non-P-256/Ed25519 key types, private
    /// members, duplicate kids, wrong alg/curve/use, invalid point). Each key is also imported on its own: only the
    /// valid EC P-256 signature key passes; the others fail with the typed reason (unsupported by name, or invalid).
    /// </summary>
    [Theory]
    [MemberData(nameof(WycheproofCases))]
    public void Wycheproof_json_web_key_set_is_rejected_and_each_key_gets_its_typed_verdict(int tcId, string description)
    {
        var c = Cryptography.WycheproofFile.Load("json_web_key_test.json")[tcId];
        var set = c.Group.TryGetProperty("public", out var published) ? published : c.Group.GetProperty("private");
        Assert.False(JsonWebKeySet.TryParse(set.GetRawText(), out _, out _), description);

        foreach (var key in set.GetProperty("keys").EnumerateArray())
        {
            var kty = key.GetProperty("kty").GetString();
            var expected = c.Group.GetProperty("comment").GetString() switch
            {
                "invalid_point" => KeyFormatError.InvalidKey,
                "jws_mixedSymmetryKeyset" when kty == "EC" => KeyFormatError.None,
                _ => KeyFormatError.UnsupportedAlgorithm,
            };
            var ok = KeyImport.TryImport(JsonSerializer.SerializeToUtf8Bytes(key), null, out var imported, out var error, out _);
            imported?.Dispose();
            Assert.Equal(expected == KeyFormatError.None, ok);
            Assert.Equal(expected, error);
        }
    }

    [Fact]
    public void The_valid_ec_key_of_the_wycheproof_mixed_set_forms_an_accepted_set_alone()
    {
        var c = Cryptography.WycheproofFile.Load("json_web_key_test.json")[1];
        var ec = c.Group.GetProperty("private").GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("kty").GetString() == "EC");
        var node = new JsonObject { ["keys"] = new JsonArray(JsonNode.Parse(ec.GetRawText())) };
        Assert.True(JsonWebKeySet.TryParse(node.ToJsonString(), out var set, out var error), error);
        Assert.True(set!.TryFind("kid-ec-sign", out var jwk));
        Assert.Equal("ES256", jwk!.Algorithm);
    }
}
