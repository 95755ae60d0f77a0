using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Keys;
using AgentTrust.KeyStore;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Keys;

public class KeyImportTests
{
    private static byte[] Utf8(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    [Theory]
    [InlineData(SignatureAlgorithm.ES256)]
    [InlineData(SignatureAlgorithm.EdDSA)]
    public void Every_format_is_detected_and_gives_the_same_key(SignatureAlgorithm algorithm)
    {
        using var key = SigningKey.Generate(algorithm);
        var inputs = new List<(KeyFormat Format, bool Private, byte[] Content)>
        {
            (KeyFormat.Pem, true, Utf8(PemKeys.ExportPrivateKeyPem(key))),
            (KeyFormat.Pem, false, Utf8("\n  " + PemKeys.ExportPublicKeyPem(key.PublicKey) + "\n\n")),
            (KeyFormat.Jwk, true, Utf8(JsonWebKey.ForPrivateKey(key).ToJson())),
            (KeyFormat.Jwk, false, Utf8(key.PublicKey.ToJsonWebKey().With(kid: "k", alg: algorithm.ToIdentifier(), use: "sig").ToJson())),
            (KeyFormat.SignetKeyFile, true, SignetKeyFile.WriteUnencrypted(key, "n")),
            (KeyFormat.SignetPublicKeyFile, false, SignetKeyFile.WritePublic(key.PublicKey, "n", DateTimeOffset.UnixEpoch)),
        };
        if (algorithm == SignatureAlgorithm.EdDSA)
        {
            inputs.Add((KeyFormat.Ed25519PublicKeyText, false, Utf8(KeyImport.FormatEd25519PublicKeyText(key.PublicKey))));
        }

        foreach (var (format, isPrivate, content) in inputs)
        {
            Assert.True(KeyImport.TryImport(content, null, out var imported, out var error, out var message), $"{format}: {error} {message}");
            using (imported)
            {
                Assert.Equal(format, imported!.Format);
                Assert.Equal(isPrivate, imported.HasPrivateKey);
                Assert.Equal(key.PublicKey, imported.PublicKey);
                if (isPrivate)
                {
                    Assert.Equal(SignatureStatus.Valid, key.PublicKey.Verify("m"u8, imported.SigningKey!.Sign("m"u8)));
                }
            }
        }
    }

    [Fact]
    public void Signet_encrypted_key_file_asks_for_the_passphrase_only_when_needed()
    {
        var bytes = SharedFiles.ReadBytes("interop", "signet", "keyfile_encrypted.key.json");
        var asked = 0;
        using var imported = KeyImport.Import(bytes, () =>
        {
            asked++;
            return "correct horse battery staple";
        });
        Assert.Equal(1, asked);
        Assert.Equal(KeyFormat.SignetKeyFile, imported.Format);
        Assert.Equal("demo-bot", imported.Name);
        Assert.Equal("ed25519:A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=", KeyImport.FormatEd25519PublicKeyText(imported.PublicKey));

        Assert.False(KeyImport.TryImport(bytes, () => null, out _, out var missing, out _));
        Assert.Equal(KeyFormatError.PassphraseRequired, missing);
        Assert.False(KeyImport.TryImport(bytes, () => "wrong", out _, out var wrong, out _));
        Assert.Equal(KeyFormatError.DecryptionFailed, wrong);
    }

    public static TheoryData<string, string, KeyFormatError> Rejected()
    {
        using var key = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        using var other = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        var mismatched = JsonNode.Parse(JsonWebKey.ForPrivateKey(key).ToJson())!;
        mismatched["x"] = other.PublicKey.ToJsonWebKey().X;
        return new TheoryData<string, string, KeyFormatError>
        {
            { "empty", "", KeyFormatError.Empty },
            { "plain text", "hello", KeyFormatError.UnrecognisedFormat },
            { "binary", "\u0000\u00ff", KeyFormatError.UnrecognisedFormat },
            { "json array", "[1]", KeyFormatError.UnrecognisedFormat },
            { "json other object", "{\"a\":1}", KeyFormatError.UnrecognisedFormat },
            { "jwks", "{\"keys\":[]}", KeyFormatError.UnrecognisedFormat },
            { "broken json", "{\"kty\":", KeyFormatError.Malformed },
            { "duplicate member", "{\"kty\":\"OKP\",\"kty\":\"OKP\"}", KeyFormatError.Malformed },
            { "rsa jwk", "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}", KeyFormatError.UnsupportedAlgorithm },
            { "oct jwk", "{\"kty\":\"oct\",\"k\":\"AAAA\"}", KeyFormatError.UnsupportedAlgorithm },
            { "x25519 jwk", "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}", KeyFormatError.UnsupportedAlgorithm },
            { "jwk alg mismatch", "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"alg\":\"ES256\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}", KeyFormatError.UnsupportedAlgorithm },
            { "jwk use enc", "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"use\":\"enc\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}", KeyFormatError.UnsupportedAlgorithm },
            { "jwk padded x", "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"}", KeyFormatError.Malformed },
            { "jwk private part mismatch", mismatched.ToJsonString(), KeyFormatError.InvalidKey },
            { "ed25519 text short", "ed25519:AAAA", KeyFormatError.Malformed },
            { "ed25519 text url alphabet", "ed25519:A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=", KeyFormatError.Malformed },
            { "signet key unknown algorithm", "{\"v\":1,\"algorithm\":\"rsa\",\"name\":\"n\",\"seed\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"}", KeyFormatError.UnsupportedAlgorithm },
            { "signet pub short key", "{\"v\":1,\"algorithm\":\"ed25519\",\"name\":\"n\",\"pubkey\":\"AAAA\",\"created_at\":\"x\"}", KeyFormatError.Malformed },
        };
    }

    [Theory]
    [MemberData(nameof(Rejected))]
    public void Inputs_that_are_no_accepted_key_give_a_typed_error(string description, string content, KeyFormatError expected)
    {
        Assert.False(KeyImport.TryImport(Utf8(content), () => "pw", out var key, out var error, out var message), description);
        Assert.Null(key);
        Assert.Equal(expected, error);
        Assert.NotNull(message);
    }

    [Fact]
    public void A_leading_utf8_byte_order_mark_is_tolerated()
    {
        using var key = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        foreach (var text in new[] { PemKeys.ExportPublicKeyPem(key.PublicKey), key.PublicKey.ToJsonWebKey().ToJson(), System.Text.Encoding.UTF8.GetString(SignetKeyFile.WritePublic(key.PublicKey, "n", DateTimeOffset.UnixEpoch)) })
        {
            using var imported = KeyImport.Import([0xEF, 0xBB, 0xBF, .. Utf8(text)]);
            Assert.Equal(key.PublicKey, imported.PublicKey);
        }
    }

    [Fact]
    public void Oversized_input_is_refused_before_parsing()
    {
        Assert.False(KeyImport.TryImport(new byte[KeyImport.MaxInputBytes + 1], null, out _, out var error, out _));
        Assert.Equal(KeyFormatError.Empty, error);
    }

    [Fact]
    public void Raw_seed_import_checks_the_length()
    {
        using var key = KeyImport.FromEd25519Seed(new byte[32]);
        Assert.Equal(SignatureAlgorithm.EdDSA, key.Algorithm);
        Assert.Equal(KeyFormatError.InvalidKey, Assert.Throws<KeyFormatException>(() => KeyImport.FromEd25519Seed(new byte[31])).Error);
        Assert.Equal(KeyImport.FormatEd25519PublicKeyText(key.PublicKey), KeyImport.FormatEd25519PublicKeyText(KeyImport.ParseEd25519PublicKeyText("ed25519:" + StrictBase64.Encode(key.PublicKey.RawPublicKey.Span))));
    }
}
