using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Keys;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Cryptography;

/// <summary>
/// RFC and standard vectors: RFC 8032 §7.1, RFC 8037 Appendix A, RFC 7638 thumbprints, RFC 7515 A.3, FIPS 180
/// SHA-256, draft-irtf-cfrg-xchacha-03 and the Argon2id vectors (which libsodium cannot compute: they are asserted
/// to be refused by name).
/// </summary>
public class StandardVectorTests
{
    private static JsonElement Read(params string[] path)
    {
        using var document = JsonDocument.Parse(SharedFiles.ReadBytes(["vectors", .. path]));
        return document.RootElement.Clone();
    }

    private static byte[] Hex(JsonElement element, string member) => Convert.FromHexString(element.GetProperty(member).GetString()!);

    // ---- RFC 8032 §7.1 ----

    public static TheoryData<string> Rfc8032Names()
    {
        var data = new TheoryData<string>();
        foreach (var test in Read("ed25519", "rfc8032_section7_1_ed25519.json").GetProperty("tests").EnumerateArray())
        {
            data.Add(test.GetProperty("name").GetString()!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Rfc8032Names))]
    public void Rfc8032_signature_is_reproduced_and_verifies(string name)
    {
        var test = Read("ed25519", "rfc8032_section7_1_ed25519.json").GetProperty("tests").EnumerateArray()
            .Single(t => t.GetProperty("name").GetString() == name);
        var message = Hex(test, "message");
        Assert.Equal(test.GetProperty("message_length").GetInt32(), message.Length);
        using var key = KeyImport.FromEd25519Seed(Hex(test, "secret_key"));
        Assert.Equal(Hex(test, "public_key"), key.PublicKey.RawPublicKey.ToArray());
        var signature = key.Sign(message);
        Assert.Equal(Hex(test, "signature"), signature);
        Assert.Equal(SignatureStatus.Valid, key.PublicKey.Verify(message, signature));
        signature[63] ^= 0x10;
        Assert.NotEqual(SignatureStatus.Valid, key.PublicKey.Verify(message, signature));
    }

    // ---- RFC 8037 Appendix A ----

    [Fact]
    public void Rfc8037_private_jwk_gives_the_public_jwk_thumbprint_and_the_A4_signature()
    {
        var v = Read("jose", "rfc8037_appendix_a_eddsa.json");
        using var imported = KeyImport.Import(System.Text.Encoding.UTF8.GetBytes(v.GetProperty("A.1_private_key_jwk").GetRawText()));
        Assert.Equal(KeyFormat.Jwk, imported.Format);
        Assert.NotNull(imported.SigningKey);
        var d = new byte[32];
        imported.SigningKey!.ExportPrivateKey(d);
        Assert.Equal(Hex(v, "A.1_private_key_hex"), d);
        Assert.Equal(Hex(v, "A.1_public_key_hex"), imported.PublicKey.RawPublicKey.ToArray());

        Assert.True(JsonWebKey.TryParse(v.GetProperty("A.2_public_key_jwk").GetRawText(), out var publicJwk, out var error), error);
        Assert.Equal(imported.PublicKey, publicJwk!.ToVerificationKey());
        Assert.Equal(v.GetProperty("A.2_public_key_jwk").GetProperty("x").GetString(), imported.PublicKey.ToJsonWebKey().X);

        var thumbprint = v.GetProperty("A.3_jwk_thumbprint");
        Assert.Equal(thumbprint.GetProperty("thumbprint_base64url").GetString(), imported.PublicKey.Thumbprint);
        Assert.Equal(Hex(thumbprint, "sha256_hex"), SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(thumbprint.GetProperty("canonical_json").GetString()!)));

        var signing = v.GetProperty("A.4_ed25519_signing");
        var input = System.Text.Encoding.ASCII.GetBytes(signing.GetProperty("signing_input").GetString()!);
        var signature = imported.SigningKey.Sign(input);
        Assert.Equal(Hex(signing, "signature_hex"), signature);
        Assert.Equal(signing.GetProperty("signature_base64url").GetString(), StrictBase64.EncodeUrl(signature));

        var validation = v.GetProperty("A.5_ed25519_validation");
        var parts = validation.GetProperty("jws_compact").GetString()!.Split('.');
        Assert.True(JsonWebKey.TryParse(validation.GetProperty("public_key_jwk").GetRawText(), out var validationKey, out _));
        Assert.True(StrictBase64.TryDecodeUrl(parts[2], out var jwsSignature));
        Assert.Equal(SignatureStatus.Valid, validationKey!.ToVerificationKey().Verify(System.Text.Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), jwsSignature));
        Assert.True(StrictBase64.TryDecodeUrl(parts[1], out var payload));
        Assert.Equal(validation.GetProperty("expected_payload_text").GetString(), System.Text.Encoding.UTF8.GetString(payload));
    }

    // ---- RFC 7638 ----

    public static TheoryData<string> ThumbprintNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in Read("jose", "rfc7638_jwk_thumbprints.json").GetProperty("cases").EnumerateArray())
        {
            data.Add(c.GetProperty("name").GetString()!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ThumbprintNames))]
    public void Rfc7638_thumbprint(string name)
    {
        var c = Read("jose", "rfc7638_jwk_thumbprints.json").GetProperty("cases").EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);
        var jwkText = c.GetProperty("jwk").GetRawText();
        var expected = c.GetProperty("thumbprint_base64url").GetString();
        Assert.Equal(expected, StrictBase64.EncodeUrl(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(c.GetProperty("canonical_json").GetString()!))));

        var accepted = JsonWebKey.TryParse(jwkText, out var jwk, out _);
        if (c.GetProperty("jwk").GetProperty("kty").GetString() == "RSA")
        {
            // RSA is not accepted anywhere; the import names the reason with a typed error.
            Assert.False(accepted);
            Assert.False(KeyImport.TryImport(System.Text.Encoding.UTF8.GetBytes(jwkText), null, out _, out var error, out _));
            Assert.Equal(KeyFormatError.UnsupportedAlgorithm, error);
            return;
        }

        Assert.True(accepted);
        Assert.Equal(expected, jwk!.ComputeThumbprint());
        Assert.Equal(expected, jwk.ToVerificationKey().Thumbprint);
    }

    // ---- RFC 7515 A.3 (ES256, high-S as published) ----

    [Fact]
    public void Rfc7515_A3_high_s_signature_rejected_by_default_accepted_in_compat_and_low_s_form_accepted()
    {
        var v = Read("jose", "rfc7515_appendix_a3_es256.json");
        using var imported = KeyImport.Import(System.Text.Encoding.UTF8.GetBytes(v.GetProperty("jwk").GetRawText()));
        Assert.True(imported.HasPrivateKey);
        var input = System.Text.Encoding.ASCII.GetBytes(v.GetProperty("signing_input").GetString()!);
        Assert.True(StrictBase64.TryDecodeUrl(v.GetProperty("signature_base64url").GetString(), out var signature));
        var r = v.GetProperty("R_octets").EnumerateArray().Select(e => (byte)e.GetInt32());
        var s = v.GetProperty("S_octets").EnumerateArray().Select(e => (byte)e.GetInt32());
        Assert.Equal(r.Concat(s).ToArray(), signature);

        Assert.Equal(SignatureStatus.HighS, imported.PublicKey.Verify(input, signature));
        Assert.Equal(SignatureStatus.Valid, imported.PublicKey.Verify(input, signature, SignatureVerificationOptions.HighSCompatible));
        var low = Hex(v.GetProperty("collector_derived_notes"), "low_s_normalized_signature_hex");
        EcdsaP256.NormalizeToLowS(signature);
        Assert.Equal(low, signature);
        Assert.Equal(SignatureStatus.Valid, imported.PublicKey.Verify(input, low));

        var ours = imported.SigningKey!.Sign(input);
        Assert.True(EcdsaP256.IsLowS(ours));
        Assert.Equal(SignatureStatus.Valid, imported.PublicKey.Verify(input, ours));
    }

    // ---- SHA-256 ----

    public static TheoryData<string> Sha256Names()
    {
        var data = new TheoryData<string>();
        foreach (var c in Read("sha256", "sha256_vectors.json").GetProperty("cases").EnumerateArray())
        {
            data.Add(c.GetProperty("name").GetString()!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Sha256Names))]
    public void Sha256_vector(string name)
    {
        var c = Read("sha256", "sha256_vectors.json").GetProperty("cases").EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);
        byte[] message;
        if (c.TryGetProperty("message_ascii_repeat", out var repeat))
        {
            message = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(repeat.GetProperty("text").GetString(), repeat.GetProperty("count").GetInt32())));
        }
        else
        {
            message = Hex(c, "message_hex");
            Assert.Equal(c.GetProperty("message_ascii").GetString(), System.Text.Encoding.ASCII.GetString(message));
        }

        Assert.Equal(c.GetProperty("message_length_bytes").GetInt32(), message.Length);
        Assert.Equal(Hex(c, "sha256_hex"), SHA256.HashData(message));
    }

    // ---- draft-irtf-cfrg-xchacha-03 ----

    [Fact]
    public void XChaCha_draft_A31_aead_vector()
    {
        var v = Read("xchacha20poly1305", "draft_irtf_cfrg_xchacha_03.json").GetProperty("aead_xchacha20_poly1305_section_A_3_1");
        var plaintext = Hex(v, "plaintext_hex");
        var output = new byte[plaintext.Length + 16];
        XChaCha20Poly1305.Encrypt(Hex(v, "key_hex"), Hex(v, "nonce24_hex"), plaintext, Hex(v, "aad_hex"), output);
        Assert.Equal(Hex(v, "ciphertext_hex").Concat(Hex(v, "tag_hex")).ToArray(), output);
        var back = new byte[plaintext.Length];
        Assert.True(XChaCha20Poly1305.TryDecrypt(Hex(v, "key_hex"), Hex(v, "nonce24_hex"), output, Hex(v, "aad_hex"), back));
        Assert.Equal(plaintext, back);
        output[0] ^= 1;
        Assert.False(XChaCha20Poly1305.TryDecrypt(Hex(v, "key_hex"), Hex(v, "nonce24_hex"), output, Hex(v, "aad_hex"), back));
    }

    [Fact]
    public void XChaCha_draft_221_hchacha20_subkey_of_the_libsodium_primitive()
    {
        var v = Read("xchacha20poly1305", "draft_irtf_cfrg_xchacha_03.json").GetProperty("hchacha20_section_2_2_1");
        var subkey = new byte[32];
        Assert.Equal(0, SodiumPrimitives.HChaCha20(subkey, Hex(v, "nonce16_hex"), Hex(v, "key_hex")));
        Assert.Equal(Hex(v, "subkey_hex"), subkey);
    }

    public static TheoryData<string> StreamSections()
    {
        var data = new TheoryData<string>();
        foreach (var e in Read("xchacha20poly1305", "draft_irtf_cfrg_xchacha_03.json").GetProperty("xchacha20_stream_section_A_3_2").EnumerateArray())
        {
            data.Add(e.GetProperty("section").GetString()!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(StreamSections))]
    public void XChaCha_draft_A32_stream_of_the_libsodium_primitive(string section)
    {
        var v = Read("xchacha20poly1305", "draft_irtf_cfrg_xchacha_03.json").GetProperty("xchacha20_stream_section_A_3_2").EnumerateArray()
            .Single(e => e.GetProperty("section").GetString() == section);
        var plaintext = Hex(v, "plaintext_hex");
        var ciphertext = new byte[plaintext.Length];
        var counter = v.GetProperty("counter").GetUInt64();
        Assert.Equal(0, SodiumPrimitives.XChaCha20XorIc(ciphertext, plaintext, Hex(v, "nonce_hex"), counter, Hex(v, "key_hex")));
        Assert.Equal(Hex(v, "ciphertext_hex"), ciphertext);
        var keystream = new byte[plaintext.Length];
        Assert.Equal(0, SodiumPrimitives.XChaCha20XorIc(keystream, new byte[plaintext.Length], Hex(v, "nonce_hex"), counter, Hex(v, "key_hex")));
        Assert.Equal(Hex(v, "keystream_hex"), keystream);
    }

    // ---- Argon2id ----

    [Fact]
    public void Argon2id_rfc9106_vector_p4_with_secret_and_ad_cannot_be_computed_by_libsodium_and_is_refused()
    {
        var v = Read("argon2id", "argon2id_vectors.json").GetProperty("rfc9106_section5_3");
        Assert.Equal(4, v.GetProperty("parallelism_p").GetInt32());
        Assert.NotEmpty(Hex(v, "secret_hex"));
        Assert.NotEmpty(Hex(v, "associated_data_hex"));

        // Argon2id.DeriveKey has no secret or associated-data input at all, and refuses p = 4 rather than computing p = 1.
        var output = new byte[v.GetProperty("tag_length").GetInt32()];
        Assert.Throws<ArgumentOutOfRangeException>(() => Argon2id.DeriveKey(
            Hex(v, "password_hex"), Hex(v, "salt_hex"), v.GetProperty("iterations_t").GetInt32(), v.GetProperty("memory_kib_m").GetInt32(), v.GetProperty("parallelism_p").GetInt32(), output));
        Assert.All(output, b => Assert.Equal(0, b));
    }

    public static TheoryData<int, string> Argon2idReferenceCases()
    {
        var data = new TheoryData<int, string>();
        var index = 0;
        foreach (var c in Read("argon2id", "argon2id_vectors.json").GetProperty("reference_implementation_vectors").GetProperty("cases").EnumerateArray())
        {
            data.Add(index++, c.GetProperty("phc_encoded").GetString()!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Argon2idReferenceCases))]
    public void Argon2id_reference_vector_with_8_byte_salt_cannot_be_computed_by_libsodium_and_is_refused(int index, string phc)
    {
        var c = Read("argon2id", "argon2id_vectors.json").GetProperty("reference_implementation_vectors").GetProperty("cases")[index];
        var salt = System.Text.Encoding.UTF8.GetBytes(c.GetProperty("salt_utf8").GetString()!);
        Assert.Equal(8, salt.Length);
        Assert.Contains("$argon2id$v=19$", phc, StringComparison.Ordinal);
        var output = new byte[32];
        var refusal = Assert.ThrowsAny<ArgumentException>(() => Argon2id.DeriveKey(
            System.Text.Encoding.UTF8.GetBytes(c.GetProperty("password_utf8").GetString()!), salt, c.GetProperty("iterations_t").GetInt32(), c.GetProperty("memory_kib_m").GetInt32(), c.GetProperty("parallelism_p").GetInt32(), output));
        Assert.Equal("salt", refusal.ParamName);
    }

    [Fact]
    public void Argon2id_signet_key_file_vector_is_computed_exactly()
    {
        using var document = JsonDocument.Parse(SharedFiles.ReadBytes("interop", "signet", "vectors.json"));
        var v = document.RootElement.GetProperty("vectors").GetProperty("keyfile_encrypted");
        using var file = JsonDocument.Parse(SharedFiles.ReadBytes("interop", "signet", v.GetProperty("file").GetString()!));
        var parameters = file.RootElement.GetProperty("kdf_params");
        Assert.True(StrictBase64.TryDecode(file.RootElement.GetProperty("salt").GetString(), 16, out var salt));
        var output = new byte[32];
        Argon2id.DeriveKey(System.Text.Encoding.UTF8.GetBytes(v.GetProperty("passphrase").GetString()!), salt, parameters.GetProperty("t").GetInt32(), parameters.GetProperty("m").GetInt32(), parameters.GetProperty("p").GetInt32(), output);
        Assert.Equal(Hex(v, "argon2id_output_hex"), output);
    }

    /// <summary>Test-only access to two libsodium primitives behind XChaCha20 (not part of the product API).</summary>
    private static class SodiumPrimitives
    {
        private static readonly Lazy<IntPtr> Handle = new(() => NativeLibrary.Load(OperatingSystem.IsMacOS() ? "libsodium.dylib" : "libsodium.so.23"));

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate int HChaCha20Function(byte[] output, byte[] input, byte[] key, IntPtr constant);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate int XChaCha20XorIcFunction(byte[] output, byte[] input, ulong length, byte[] nonce, ulong counter, byte[] key);

        public static int HChaCha20(byte[] output, byte[] input16, byte[] key) =>
            Marshal.GetDelegateForFunctionPointer<HChaCha20Function>(NativeLibrary.GetExport(Handle.Value, "crypto_core_hchacha20"))(output, input16, key, IntPtr.Zero);

        public static int XChaCha20XorIc(byte[] output, byte[] input, byte[] nonce, ulong counter, byte[] key) =>
            Marshal.GetDelegateForFunctionPointer<XChaCha20XorIcFunction>(NativeLibrary.GetExport(Handle.Value, "crypto_stream_xchacha20_xor_ic"))(output, input, (ulong)input.Length, nonce, counter, key);
    }
}
