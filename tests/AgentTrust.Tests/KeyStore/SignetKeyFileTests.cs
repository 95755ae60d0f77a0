using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Keys;
using AgentTrust.KeyStore;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.KeyStore;

/// <summary>Signet key files (receipts.md §8) against Signet's vectors, plus the AgentTrust checks and the es256 extension.</summary>
public class SignetKeyFileTests
{
    private static readonly JsonElement Vector = LoadVector();

    private static string Passphrase => Vector.GetProperty("passphrase").GetString()!;

    private static byte[] EncryptedFile => SharedFiles.ReadBytes("interop", "signet", "keyfile_encrypted.key.json");

    private static byte[] ExpectedSeed => Convert.FromHexString(Vector.GetProperty("expected_seed_hex").GetString()!);

    [Fact]
    public void Signet_encrypted_vector_decrypts_to_the_expected_seed()
    {
        using var key = SignetKeyFile.ReadPrivate(EncryptedFile, () => Passphrase, "demo-bot", out var name);
        Assert.Equal("demo-bot", name);
        Assert.Equal(SignatureAlgorithm.EdDSA, key.Algorithm);
        var seed = new byte[32];
        key.ExportPrivateKey(seed);
        Assert.Equal(ExpectedSeed, seed);
        using var pub = JsonDocument.Parse(SharedFiles.ReadBytes("interop", "signet", "keyfile.pub.json"));
        Assert.Equal(pub.RootElement.GetProperty("pubkey").GetString(), StrictBase64.Encode(key.PublicKey.RawPublicKey.Span));
    }

    [Fact]
    public void Associated_data_is_the_exact_jcs_text_of_the_vector()
    {
        var aad = SignetKeyFile.BuildAssociatedData("ed25519", "demo-bot", 3, 65536, 1);
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(Vector.GetProperty("aad_jcs").GetString()!), aad);
    }

    [Theory]
    [InlineData("ed25519", "demo-bot", 3, 65536)]
    [InlineData("es256", "A_z-0", 1, 64)]
    [InlineData("ed25519", "x", 16, 1048576)]
    public void Associated_data_equals_the_jcs_canonicalisation_of_the_metadata_object(string label, string name, int t, int m)
    {
        var metadata = new JsonObject
        {
            ["v"] = 1, ["algorithm"] = label, ["name"] = name, ["kdf"] = "argon2id",
            ["kdf_params"] = new JsonObject { ["t"] = t, ["m"] = m, ["p"] = 1 }, ["cipher"] = "xchacha20poly1305",
        };
        Assert.Equal(AgentTrust.Json.JsonCanonicalizer.Canonicalize(metadata), SignetKeyFile.BuildAssociatedData(label, name, t, m, 1));
    }

    [Fact]
    public void Writing_with_the_vector_salt_and_nonce_reproduces_the_signet_file_byte_for_byte()
    {
        using var file = JsonDocument.Parse(EncryptedFile);
        Assert.True(StrictBase64.TryDecode(file.RootElement.GetProperty("salt").GetString(), out var salt));
        Assert.True(StrictBase64.TryDecode(file.RootElement.GetProperty("nonce").GetString(), out var nonce));
        using var key = SigningKey.Import(SignatureAlgorithm.EdDSA, ExpectedSeed);
        var written = SignetKeyFile.WriteEncrypted(key, "demo-bot", Passphrase, salt, nonce, 3, 65536);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(EncryptedFile), System.Text.Encoding.UTF8.GetString(written));
    }

    [Fact]
    public void Signet_unencrypted_vector_reads_and_our_writer_reproduces_it()
    {
        var bytes = SharedFiles.ReadBytes("interop", "signet", "keyfile_unencrypted.key.json");
        Func<string?> neverAsked = () => throw new InvalidOperationException("a plain key file must not ask for a passphrase");
        using var key = SignetKeyFile.ReadPrivate(bytes, neverAsked, "demo-bot", out _);
        var seed = new byte[32];
        key.ExportPrivateKey(seed);
        Assert.Equal(ExpectedSeed, seed);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(bytes), System.Text.Encoding.UTF8.GetString(SignetKeyFile.WriteUnencrypted(key, "demo-bot")));
    }

    [Fact]
    public void Our_pub_file_matches_signets_layout_and_key()
    {
        var signetBytes = SharedFiles.ReadBytes("interop", "signet", "keyfile.pub.json");
        var signet = SignetKeyFile.ReadPublic(signetBytes, "demo-bot");
        using var key = SigningKey.Import(SignatureAlgorithm.EdDSA, ExpectedSeed);
        Assert.Equal(signet.Key, key.PublicKey);
        Assert.Equal("2026-03-29T23:20:00.123456789+00:00", signet.CreatedAt);

        var at = new DateTimeOffset(2026, 3, 29, 23, 20, 0, TimeSpan.Zero).AddTicks(1_234_567);
        var ours = System.Text.Encoding.UTF8.GetString(SignetKeyFile.WritePublic(key.PublicKey, "demo-bot", at, signet.Owner));
        Assert.Contains("\"created_at\": \"2026-03-29T23:20:00.123456700+00:00\"", ours, StringComparison.Ordinal);
        var expected = System.Text.Encoding.UTF8.GetString(signetBytes).Replace(signet.CreatedAt, "2026-03-29T23:20:00.123456700+00:00", StringComparison.Ordinal);
        Assert.Equal(expected, ours);
        Assert.Equal(signet.Key, SignetKeyFile.ReadPublic(System.Text.Encoding.UTF8.GetBytes(ours), "demo-bot").Key);
    }

    [Theory]
    [InlineData("name")]
    [InlineData("kdf_params.t")]
    [InlineData("kdf_params.m")]
    [InlineData("ciphertext")]
    [InlineData("nonce")]
    [InlineData("salt")]
    [InlineData("wrong passphrase")]
    public void Tampering_and_a_wrong_passphrase_give_the_same_decryption_error(string change)
    {
        var node = JsonNode.Parse(EncryptedFile)!;
        var passphrase = Passphrase;
        switch (change)
        {
            case "name":
                node["name"] = "demo-bot2";
                break;
            case "kdf_params.t":
                node["kdf_params"]!["t"] = 2;
                break;
            case "kdf_params.m":
                node["kdf_params"]!["m"] = 65472;
                break;
            case "wrong passphrase":
                passphrase = "correct horse battery stapler";
                break;
            default:
                Assert.True(StrictBase64.TryDecode(node[change]!.GetValue<string>(), out var bytes));
                bytes[^1] ^= 0x01;
                node[change] = StrictBase64.Encode(bytes);
                break;
        }

        var error = Assert.Throws<KeyFormatException>(() => SignetKeyFile.ReadPrivate(System.Text.Encoding.UTF8.GetBytes(node.ToJsonString()), () => passphrase, null, out _));
        Assert.Equal(KeyFormatError.DecryptionFailed, error.Error);
    }

    [Theory]
    [InlineData("kdf_params.t", "17", KeyFormatError.UnsupportedParameters)]
    [InlineData("kdf_params.t", "0", KeyFormatError.UnsupportedParameters)]
    [InlineData("kdf_params.m", "2097152", KeyFormatError.UnsupportedParameters)]
    [InlineData("kdf_params.m", "32", KeyFormatError.UnsupportedParameters)]
    [InlineData("kdf_params.p", "4", KeyFormatError.UnsupportedParameters)]
    [InlineData("kdf_params.t", "3.0", KeyFormatError.UnsupportedParameters)]
    [InlineData("kdf", "\"argon2i\"", KeyFormatError.UnsupportedParameters)]
    [InlineData("cipher", "\"xchacha20-poly1305\"", KeyFormatError.UnsupportedParameters)]
    [InlineData("algorithm", "\"ed448\"", KeyFormatError.UnsupportedAlgorithm)]
    [InlineData("v", "2", KeyFormatError.UnsupportedParameters)]
    [InlineData("salt", "\"c29tZXNhbHQ=\"", KeyFormatError.Malformed)]
    [InlineData("nonce", "\"AAECAwQFBgcICQoL\"", KeyFormatError.Malformed)]
    [InlineData("ciphertext", "\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"", KeyFormatError.Malformed)]
    [InlineData("salt", "\"AAECAwQFBgcICQoLDA0ODw\"", KeyFormatError.Malformed)]
    [InlineData("name", "\"demo bot\"", KeyFormatError.Malformed)]
    [InlineData("extra", "1", KeyFormatError.Malformed)]
    public void Labels_sizes_and_cost_bounds_are_checked_before_any_work(string member, string json, KeyFormatError expected)
    {
        var node = JsonNode.Parse(EncryptedFile)!.AsObject();
        var value = JsonNode.Parse(json);
        if (member.StartsWith("kdf_params.", StringComparison.Ordinal))
        {
            node["kdf_params"]![member["kdf_params.".Length..]] = value;
        }
        else
        {
            node[member] = value;
        }

        // The passphrase callback throws: reaching it (and the Argon2id work after it) would fail the test differently.
        var error = Assert.Throws<KeyFormatException>(() => SignetKeyFile.ReadPrivate(
            System.Text.Encoding.UTF8.GetBytes(node.ToJsonString()), () => throw new InvalidOperationException("asked for a passphrase"), null, out _));
        Assert.Equal(expected, error.Error);
    }

    [Fact]
    public void Duplicate_members_and_a_missing_member_are_rejected()
    {
        var text = System.Text.Encoding.UTF8.GetString(EncryptedFile);
        var duplicated = text.Replace("\"name\": \"demo-bot\",", "\"name\": \"demo-bot\", \"name\": \"demo-bot\",", StringComparison.Ordinal);
        Assert.Equal(KeyFormatError.Malformed, Assert.Throws<KeyFormatException>(() => SignetKeyFile.ReadPrivate(System.Text.Encoding.UTF8.GetBytes(duplicated), () => Passphrase, null, out _)).Error);
        var node = JsonNode.Parse(EncryptedFile)!.AsObject();
        node.Remove("nonce");
        Assert.Equal(KeyFormatError.Malformed, Assert.Throws<KeyFormatException>(() => SignetKeyFile.ReadPrivate(System.Text.Encoding.UTF8.GetBytes(node.ToJsonString()), () => Passphrase, null, out _)).Error);
    }

    [Fact]
    public void File_name_mismatch_is_rejected_and_a_missing_passphrase_is_a_typed_error()
    {
        Assert.Equal(KeyFormatError.NameMismatch, Assert.Throws<KeyFormatException>(() => SignetKeyFile.ReadPrivate(EncryptedFile, () => Passphrase, "other", out _)).Error);
        Assert.Equal(KeyFormatError.PassphraseRequired, Assert.Throws<KeyFormatException>(() => SignetKeyFile.ReadPrivate(EncryptedFile, () => null, "demo-bot", out _)).Error);
        Assert.Equal(KeyFormatError.PassphraseRequired, Assert.Throws<KeyFormatException>(() => SignetKeyFile.ReadPrivate(EncryptedFile, null, "demo-bot", out _)).Error);
        Assert.Equal(KeyFormatError.NameMismatch, Assert.Throws<KeyFormatException>(() => SignetKeyFile.ReadPublic(SharedFiles.ReadBytes("interop", "signet", "keyfile.pub.json"), "other")).Error);
    }

    [Theory]
    [InlineData(SignatureAlgorithm.EdDSA)]
    [InlineData(SignatureAlgorithm.ES256)]
    public void A_file_we_write_decrypts_with_an_independent_implementation_of_signets_rule(SignatureAlgorithm algorithm)
    {
        using var key = SigningKey.Generate(algorithm);
        var bytes = SignetKeyFile.WriteEncrypted(key, "my-key_1", "pass phrase é");
        using var file = JsonDocument.Parse(bytes);
        var root = file.RootElement;

        // Signet's rule, rebuilt here from the spec: JCS of the metadata object with constants, Argon2id, XChaCha20-Poly1305.
        var label = algorithm == SignatureAlgorithm.EdDSA ? "ed25519" : "es256";
        Assert.Equal(label, root.GetProperty("algorithm").GetString());
        var t = root.GetProperty("kdf_params").GetProperty("t").GetInt32();
        var m = root.GetProperty("kdf_params").GetProperty("m").GetInt32();
        var p = root.GetProperty("kdf_params").GetProperty("p").GetInt32();
        Assert.Equal((3, 65536, 1), (t, m, p));
        var metadata = new SortedDictionary<string, object>(StringComparer.Ordinal)
        {
            ["v"] = 1, ["algorithm"] = label, ["name"] = "my-key_1", ["kdf"] = "argon2id", ["cipher"] = "xchacha20poly1305",
            ["kdf_params"] = new SortedDictionary<string, int>(StringComparer.Ordinal) { ["t"] = t, ["m"] = m, ["p"] = p },
        };
        var aad = JsonSerializer.SerializeToUtf8Bytes(metadata);
        var derived = new byte[32];
        Argon2id.DeriveKey(System.Text.Encoding.UTF8.GetBytes("pass phrase é"), Convert.FromBase64String(root.GetProperty("salt").GetString()!), t, m, p, derived);
        var plaintext = new byte[32];
        Assert.True(XChaCha20Poly1305.TryDecrypt(derived, Convert.FromBase64String(root.GetProperty("nonce").GetString()!), Convert.FromBase64String(root.GetProperty("ciphertext").GetString()!), aad, plaintext));
        var expected = new byte[32];
        key.ExportPrivateKey(expected);
        Assert.Equal(expected, plaintext);

        // And our reader opens it.
        using var reopened = SignetKeyFile.ReadPrivate(bytes, () => "pass phrase é", "my-key_1", out _);
        Assert.Equal(key.PublicKey, reopened.PublicKey);
    }

    [Fact]
    public void Es256_pub_file_holds_the_bare_base64_uncompressed_point()
    {
        using var key = SigningKey.Generate(SignatureAlgorithm.ES256);
        var bytes = SignetKeyFile.WritePublic(key.PublicKey, "p256", DateTimeOffset.UnixEpoch);
        using var file = JsonDocument.Parse(bytes);
        Assert.Equal("es256", file.RootElement.GetProperty("algorithm").GetString());
        Assert.True(StrictBase64.TryDecode(file.RootElement.GetProperty("pubkey").GetString(), 65, out var point));
        Assert.Equal(0x04, point[0]);
        Assert.Equal("1970-01-01T00:00:00.000000000+00:00", file.RootElement.GetProperty("created_at").GetString());
        Assert.Equal(key.PublicKey, SignetKeyFile.ReadPublic(bytes, "p256").Key);
    }

    [Fact]
    public void Pub_file_with_an_invalid_point_or_wrong_size_is_rejected()
    {
        var node = JsonNode.Parse(SharedFiles.ReadBytes("interop", "signet", "keyfile.pub.json"))!;
        node["algorithm"] = "es256";
        Assert.Equal(KeyFormatError.Malformed, Assert.Throws<KeyFormatException>(() => SignetKeyFile.ReadPublic(System.Text.Encoding.UTF8.GetBytes(node.ToJsonString()))).Error);
        var offCurve = new byte[65];
        offCurve[0] = 4;
        offCurve[64] = 1;
        node["pubkey"] = StrictBase64.Encode(offCurve);
        Assert.Equal(KeyFormatError.InvalidKey, Assert.Throws<KeyFormatException>(() => SignetKeyFile.ReadPublic(System.Text.Encoding.UTF8.GetBytes(node.ToJsonString()))).Error);
    }

    [Fact]
    public void Ed25519_secret_key_text_accepts_seed_and_seed_with_matching_public_key_only()
    {
        var seed = ExpectedSeed;
        using var fromSeed = KeyImport.FromEd25519SecretKeyText(Convert.ToBase64String(seed));
        using var fromPair = KeyImport.FromEd25519SecretKeyText(Convert.ToBase64String([.. seed, .. fromSeed.PublicKey.RawPublicKey.ToArray()]));
        Assert.Equal(fromSeed.PublicKey, fromPair.PublicKey);
        var wrongPublic = fromSeed.PublicKey.RawPublicKey.ToArray();
        wrongPublic[0] ^= 1;
        Assert.Equal(KeyFormatError.InvalidKey, Assert.Throws<KeyFormatException>(() => KeyImport.FromEd25519SecretKeyText(Convert.ToBase64String([.. seed, .. wrongPublic]))).Error);
        Assert.Equal(KeyFormatError.Malformed, Assert.Throws<KeyFormatException>(() => KeyImport.FromEd25519SecretKeyText(Convert.ToBase64String(seed[..31]))).Error);
        Assert.Equal(KeyFormatError.Malformed, Assert.Throws<KeyFormatException>(() => KeyImport.FromEd25519SecretKeyText(Convert.ToBase64String(seed).TrimEnd('='))).Error);
    }

    private static JsonElement LoadVector()
    {
        using var document = JsonDocument.Parse(SharedFiles.ReadBytes("interop", "signet", "vectors.json"));
        return document.RootElement.GetProperty("vectors").GetProperty("keyfile_encrypted").Clone();
    }
}
