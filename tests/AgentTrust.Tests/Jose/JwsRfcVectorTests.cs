using System.Text.Json;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Jose;
using AgentTrust.Keys;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Jose;

public sealed class JwsRfcVectorTests
{
    private static JsonElement Load(string file)
    {
        using var doc = JsonDocument.Parse(SharedFiles.ReadText("vectors", "jose", file));
        return doc.RootElement.Clone();
    }

    private static JwsParseOptions NoJsonPayload => JwsParseOptions.Default with { RequireJsonPayload = false };

    [Fact]
    public void Rfc7515_A3_HighS_signature_is_rejected_by_default()
    {
        var v = Load("rfc7515_appendix_a3_es256.json");
        Assert.True(JsonWebKey.TryParse(v.GetProperty("jwk").GetRawText(), out var jwk, out _));
        var result = JwsVerifier.Verify(v.GetProperty("jws_compact").GetString(), jwk!.ToVerificationKey());
        Assert.Equal(JwsStatus.BadSignature, result.Status);
        Assert.Equal(SignatureStatus.HighS, result.SignatureStatus);
    }

    [Fact]
    public void Rfc7515_A3_HighS_signature_is_accepted_with_the_compat_option()
    {
        var v = Load("rfc7515_appendix_a3_es256.json");
        Assert.True(JsonWebKey.TryParse(v.GetProperty("jwk").GetRawText(), out var jwk, out _));
        var result = JwsVerifier.Verify(v.GetProperty("jws_compact").GetString(), jwk!.ToVerificationKey(), signatureOptions: SignatureVerificationOptions.HighSCompatible);
        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(v.GetProperty("payload_text").GetString(), System.Text.Encoding.UTF8.GetString(result.Token!.Payload.Span));
        Assert.Equal(v.GetProperty("signing_input").GetString(), System.Text.Encoding.ASCII.GetString(result.Token.CreateSigningInput()));
        Assert.Equal(SignatureAlgorithm.ES256, result.Token.Header.Algorithm);
    }

    [Fact]
    public void Rfc7515_A3_low_S_normalised_signature_is_accepted_by_default()
    {
        var v = Load("rfc7515_appendix_a3_es256.json");
        Assert.True(JsonWebKey.TryParse(v.GetProperty("jwk").GetRawText(), out var jwk, out _));
        var compact = v.GetProperty("collector_derived_notes").GetProperty("low_s_normalized_jws_compact").GetString();
        Assert.True(JwsVerifier.Verify(compact, jwk!.ToVerificationKey()).IsValid);
    }

    [Fact]
    public void Rfc8037_A4_signature_is_reproduced_byte_for_byte()
    {
        var v = Load("rfc8037_appendix_a_eddsa.json");
        var a4 = v.GetProperty("A.4_ed25519_signing");
        using var key = SigningKey.Import(SignatureAlgorithm.EdDSA, Convert.FromHexString(v.GetProperty("A.1_private_key_hex").GetString()!));
        var compact = JwsSigner.SignWithHeader(key,
            System.Text.Encoding.UTF8.GetBytes(a4.GetProperty("protected_header_json").GetString()!),
            System.Text.Encoding.UTF8.GetBytes(a4.GetProperty("payload_text").GetString()!));
        Assert.Equal(a4.GetProperty("jws_compact").GetString(), compact);
        Assert.Equal(a4.GetProperty("signing_input").GetString(),
            System.Text.Encoding.ASCII.GetString(JwsSigningInput.Create(a4.GetProperty("protected_header_base64url").GetString(), a4.GetProperty("payload_base64url").GetString())));
    }

    [Fact]
    public async Task Rfc8037_A5_validates_through_a_key_resolver()
    {
        var v = Load("rfc8037_appendix_a_eddsa.json").GetProperty("A.5_ed25519_validation");
        Assert.True(JsonWebKey.TryParse(v.GetProperty("public_key_jwk").GetRawText(), out var jwk, out _));
        var verifier = new JwsVerifier(new StaticJwsKeyResolver(new Dictionary<string, VerificationKey>(), jwk!.ToVerificationKey()), NoJsonPayload);
        var result = await verifier.VerifyAsync(v.GetProperty("jws_compact").GetString());
        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(v.GetProperty("expected_payload_text").GetString(), System.Text.Encoding.UTF8.GetString(result.Token!.Payload.Span));
    }

    [Fact]
    public void Rfc8037_A5_with_one_flipped_signature_bit_is_rejected()
    {
        var v = Load("rfc8037_appendix_a_eddsa.json").GetProperty("A.5_ed25519_validation");
        Assert.True(JsonWebKey.TryParse(v.GetProperty("public_key_jwk").GetRawText(), out var jwk, out _));
        var parts = v.GetProperty("jws_compact").GetString()!.Split('.');
        Assert.True(StrictBase64.TryDecodeUrl(parts[2], out var sig));
        sig[10] ^= 1;
        var result = JwsVerifier.Verify($"{parts[0]}.{parts[1]}.{StrictBase64.EncodeUrl(sig)}", jwk!.ToVerificationKey(), NoJsonPayload);
        Assert.Equal(JwsStatus.BadSignature, result.Status);
    }
}
