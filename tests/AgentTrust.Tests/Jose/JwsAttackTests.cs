using System.Security.Cryptography;

using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Jose;

namespace AgentTrust.Tests.Jose;

public sealed class JwsAttackTests : IDisposable
{
    private readonly SigningKey _ed = SigningKey.Generate(SignatureAlgorithm.EdDSA);
    private readonly SigningKey _ec = SigningKey.Generate(SignatureAlgorithm.ES256);

    public void Dispose()
    {
        _ed.Dispose();
        _ec.Dispose();
    }

    private static string B64(string text) => StrictBase64.EncodeUrl(System.Text.Encoding.UTF8.GetBytes(text));

    private static string Forge(SigningKey key, string headerJson, string payloadJson)
    {
        var h = B64(headerJson);
        var p = B64(payloadJson);
        return $"{h}.{p}.{StrictBase64.EncodeUrl(key.Sign(JwsSigningInput.Create(h, p)))}";
    }

    private JwsVerifier Verifier(JwsParseOptions? parse = null) => new(new StaticJwsKeyResolver(new Dictionary<string, VerificationKey>
    {
        ["ed"] = _ed.PublicKey,
        ["ec"] = _ec.PublicKey,
    }), parse);

    private async Task<JwsVerificationResult> Verify(string token, JwsParseOptions? parse = null) => await Verifier(parse).VerifyAsync(token);

    [Fact]
    public async Task Valid_tokens_of_both_algorithms_verify()
    {
        Assert.True((await Verify(JwsSigner.Sign(_ed, "{\"a\":1}"u8, "ed", "JWT"))).IsValid);
        var ec = await Verify(JwsSigner.Sign(_ec, "{\"a\":1}"u8, "ec"));
        Assert.True(ec.IsValid, ec.Reason);
        Assert.Equal("ec", ec.Token!.Header.KeyId);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("None")]
    [InlineData("HS256")]
    [InlineData("HS512")]
    [InlineData("RS256")]
    [InlineData("PS256")]
    [InlineData("ES384")]
    [InlineData("ES512")]
    [InlineData("EdDSA25519")]
    [InlineData("es256")]
    [InlineData("")]
    public async Task Algorithms_outside_the_allow_list_are_rejected_by_name(string alg)
    {
        var token = Forge(_ed, $"{{\"alg\":\"{alg}\",\"kid\":\"ed\"}}", "{}");
        var result = await Verify(token);
        Assert.Equal(JwsStatus.AlgorithmRejected, result.Status);
        Assert.False(string.IsNullOrEmpty(result.Reason));
    }

    [Fact]
    public async Task Alg_none_with_an_empty_signature_is_rejected()
    {
        var token = $"{B64("{\"alg\":\"none\"}")}.{B64("{}")}.";
        Assert.NotEqual(JwsStatus.Valid, (await Verify(token)).Status);
        Assert.Equal(JwsStatus.AlgorithmRejected, (await Verify($"{B64("{\"alg\":\"none\"}")}.{B64("{}")}.AA")).Status);
    }

    [Fact]
    public async Task Missing_alg_is_rejected()
    {
        Assert.Equal(JwsStatus.AlgorithmRejected, (await Verify(Forge(_ed, "{\"kid\":\"ed\"}", "{}"))).Status);
        Assert.Equal(JwsStatus.AlgorithmRejected, (await Verify(Forge(_ed, "{\"alg\":1,\"kid\":\"ed\"}", "{}"))).Status);
    }

    [Fact]
    public async Task Hs256_signed_with_the_public_key_as_secret_is_rejected()
    {
        var h = B64("{\"alg\":\"HS256\",\"kid\":\"ed\"}");
        var p = B64("{\"sub\":\"attacker\"}");
        var mac = HMACSHA256.HashData(_ed.PublicKey.RawPublicKey.Span, JwsSigningInput.Create(h, p));
        Assert.Equal(JwsStatus.AlgorithmRejected, (await Verify($"{h}.{p}.{StrictBase64.EncodeUrl(mac)}")).Status);
    }

    [Fact]
    public async Task ES256_header_on_an_Ed25519_key_is_algorithm_confusion()
    {
        // kid names the OKP key while alg claims ES256: the key type must match alg.
        var token = Forge(_ec, "{\"alg\":\"ES256\",\"kid\":\"ed\"}", "{}");
        Assert.Equal(JwsStatus.KeyAlgorithmMismatch, (await Verify(token)).Status);
        var reverse = Forge(_ed, "{\"alg\":\"EdDSA\",\"kid\":\"ec\"}", "{}");
        Assert.Equal(JwsStatus.KeyAlgorithmMismatch, (await Verify(reverse)).Status);
    }

    [Fact]
    public async Task Embedded_jwk_and_jku_are_ignored_so_an_attacker_key_does_not_verify()
    {
        using var attacker = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        var header = $"{{\"alg\":\"EdDSA\",\"kid\":\"ed\",\"jwk\":{attacker.PublicKey.ToJsonWebKey().ToJson()},\"jku\":\"https://evil.example/jwks\"}}";
        Assert.Equal(JwsStatus.BadSignature, (await Verify(Forge(attacker, header, "{}"))).Status);
    }

    [Fact]
    public async Task Unknown_kid_and_missing_kid_are_rejected()
    {
        Assert.Equal(JwsStatus.UnknownKey, (await Verify(Forge(_ed, "{\"alg\":\"EdDSA\",\"kid\":\"zz\"}", "{}"))).Status);
        Assert.Equal(JwsStatus.MissingKeyId, (await Verify(Forge(_ed, "{\"alg\":\"EdDSA\"}", "{}"))).Status);
        Assert.Equal(JwsStatus.MalformedHeader, (await Verify(Forge(_ed, "{\"alg\":\"EdDSA\",\"kid\":7}", "{}"))).Status);
    }

    [Fact]
    public async Task Crit_is_rejected_unless_understood_and_present()
    {
        var token = Forge(_ed, "{\"alg\":\"EdDSA\",\"kid\":\"ed\",\"crit\":[\"exp\"],\"exp\":1}", "{}");
        Assert.Equal(JwsStatus.CriticalHeader, (await Verify(token)).Status);
        var understood = JwsParseOptions.Default with { UnderstoodCriticalHeaders = new HashSet<string> { "exp" } };
        Assert.True((await Verify(token, understood)).IsValid);
        Assert.Equal(JwsStatus.CriticalHeader, (await Verify(Forge(_ed, "{\"alg\":\"EdDSA\",\"kid\":\"ed\",\"crit\":[\"exp\"]}", "{}"), understood)).Status);
        Assert.Equal(JwsStatus.CriticalHeader, (await Verify(Forge(_ed, "{\"alg\":\"EdDSA\",\"kid\":\"ed\",\"crit\":[]}", "{}"), understood)).Status);
        Assert.Equal(JwsStatus.CriticalHeader, (await Verify(Forge(_ed, "{\"alg\":\"EdDSA\",\"kid\":\"ed\",\"crit\":\"exp\"}", "{}"), understood)).Status);
    }

    [Fact]
    public async Task Unencoded_payload_b64_false_is_rejected()
    {
        var token = Forge(_ed, "{\"alg\":\"EdDSA\",\"kid\":\"ed\",\"b64\":false,\"crit\":[\"b64\"]}", "{}");
        Assert.Equal(JwsStatus.UnencodedPayload, (await Verify(token)).Status);
        var understood = JwsParseOptions.Default with { UnderstoodCriticalHeaders = new HashSet<string> { "b64" } };
        Assert.Equal(JwsStatus.UnencodedPayload, (await Verify(token, understood)).Status);
    }

    [Fact]
    public async Task Duplicate_members_in_header_or_payload_are_rejected()
    {
        Assert.Equal(JwsStatus.MalformedHeader, (await Verify(Forge(_ed, "{\"alg\":\"EdDSA\",\"kid\":\"ed\",\"alg\":\"EdDSA\"}", "{}"))).Status);
        Assert.Equal(JwsStatus.MalformedHeader, (await Verify(Forge(_ed, "{\"alg\":\"EdDSA\",\"kid\":\"zz\",\"kid\":\"ed\"}", "{}"))).Status);
        Assert.Equal(JwsStatus.Malformed, (await Verify(Forge(_ed, "{\"alg\":\"EdDSA\",\"kid\":\"ed\"}", "{\"sub\":\"a\",\"sub\":\"b\"}"))).Status);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"x\"")]
    [InlineData("{\"a\":1} x")]
    [InlineData("{")]
    public async Task Header_that_is_not_one_JSON_object_is_rejected(string header)
    {
        Assert.Equal(JwsStatus.MalformedHeader, (await Verify(Forge(_ed, header, "{}"))).Status);
    }

    [Fact]
    public async Task Payload_that_is_not_a_JSON_object_is_rejected_when_claims_are_required()
    {
        Assert.Equal(JwsStatus.Malformed, (await Verify(Forge(_ed, "{\"alg\":\"EdDSA\",\"kid\":\"ed\"}", "[1]"))).Status);
        Assert.True((await Verify(Forge(_ed, "{\"alg\":\"EdDSA\",\"kid\":\"ed\"}", "[1]"), JwsParseOptions.Default with { RequireJsonPayload = false })).IsValid);
    }

    [Fact]
    public async Task Oversized_token_is_rejected_before_parsing()
    {
        var token = new string('a', 9000);
        Assert.Equal(JwsStatus.TooLarge, (await Verify(token)).Status);
        var ok = JwsSigner.Sign(_ed, "{}"u8, "ed");
        Assert.Equal(JwsStatus.TooLarge, (await Verify(ok, JwsParseOptions.Default with { MaxTokenLength = ok.Length - 1 })).Status);
        Assert.True((await Verify(ok, JwsParseOptions.Default with { MaxTokenLength = ok.Length })).IsValid);
    }

    [Theory]
    [InlineData("pad")]
    [InlineData("std")]
    [InlineData("space")]
    [InlineData("bits")]
    [InlineData("segments4")]
    [InlineData("segments2")]
    [InlineData("empty-sig")]
    public async Task Non_canonical_encodings_are_rejected(string variant)
    {
        var token = JwsSigner.Sign(_ed, "{\"k\":\"vv\"}"u8, "ed");
        var parts = token.Split('.');
        var mutated = variant switch
        {
            "pad" => $"{parts[0]}.{parts[1]}=.{parts[2]}",
            "std" => $"{parts[0]}.{parts[1]}.{parts[2][..^2]}+/",
            "space" => $"{parts[0]}.{parts[1]} .{parts[2]}",
            "bits" => $"{parts[0]}.{parts[1]}.{parts[2][..^1]}{(parts[2][^1] == 'B' ? 'C' : 'B')}",
            "segments4" => token + ".x",
            "segments2" => $"{parts[0]}.{parts[1]}",
            "empty-sig" => $"{parts[0]}.{parts[1]}.",
            _ => throw new ArgumentOutOfRangeException(nameof(variant)),
        };
        var result = await Verify(mutated);
        Assert.False(result.IsValid);
        Assert.Contains(result.Status, new[] { JwsStatus.Malformed, JwsStatus.BadSignature });
        if (variant != "bits")
        {
            Assert.Equal(JwsStatus.Malformed, result.Status);
        }
    }

    [Fact]
    public async Task A_key_resolver_that_throws_fails_closed()
    {
        var verifier = new JwsVerifier(new ThrowingResolver());
        Assert.Equal(JwsStatus.KeySourceUnavailable, (await verifier.VerifyAsync(JwsSigner.Sign(_ed, "{}"u8, "ed"))).Status);
    }

    [Fact]
    public async Task Random_garbage_never_throws()
    {
        var random = new Random(7);
        var verifier = Verifier();
        for (var i = 0; i < 300; i++)
        {
            var chars = new char[random.Next(0, 200)];
            for (var j = 0; j < chars.Length; j++)
            {
                const string alphabet = "abcAB09-_.=+/ {}\"\u00e9";
                chars[j] = alphabet[random.Next(alphabet.Length)];
            }

            Assert.False((await verifier.VerifyAsync(new string(chars))).IsValid);
        }
    }

    [Fact]
    public void SignWithHeader_refuses_a_header_that_names_another_algorithm()
    {
        Assert.Throws<ArgumentException>(() => JwsSigner.SignWithHeader(_ed, "{\"alg\":\"ES256\"}"u8, "{}"u8));
        Assert.Throws<ArgumentException>(() => JwsSigner.SignWithHeader(_ed, "{\"alg\":\"none\"}"u8, "{}"u8));
    }

    private sealed class ThrowingResolver : IJwsKeyResolver
    {
        public ValueTask<JwsKeyResolution> ResolveAsync(string? keyId, SignatureAlgorithm algorithm, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("boom");
    }
}
