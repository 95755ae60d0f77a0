using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Text.Json;
using AgentTrust.Cryptography;
using AgentTrust.Keys;
using AgentTrust.Tests.Cryptography;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Keys;

public class PemKeysTests
{
    // RFC 8410 §10.1 and §10.3 example Ed25519 key pair (checked with openssl pkey -pubout).
    private const string Rfc8410PrivatePem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n";
    private const string Rfc8410PublicPem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";

    public static TheoryData<string> McpsKeyNames() => ["agent", "ta", "intermediate", "other"];

    [Theory]
    [MemberData(nameof(McpsKeyNames))]
    public void Mcps_interop_key_imports_from_every_form_and_exports_byte_identical_pem(string name)
    {
        using var document = JsonDocument.Parse(SharedFiles.ReadBytes("interop", "mcps", "vectors.json"));
        var k = document.RootElement.GetProperty("keys").GetProperty(name);
        var d = Convert.FromHexString(k.GetProperty("d_hex").GetString()!);
        var point = (byte[])[0x04, .. Convert.FromHexString(k.GetProperty("x_hex").GetString()!), .. Convert.FromHexString(k.GetProperty("y_hex").GetString()!)];

        using var fromPkcs8 = PemKeys.ImportPrivateKeyPem(k.GetProperty("private_pkcs8_pem").GetString());
        using var fromSec1 = PemKeys.ImportPrivateKeyPem(k.GetProperty("private_sec1_pem").GetString());
        var fromSpki = PemKeys.ImportPublicKeyPem(k.GetProperty("public_spki_pem").GetString());
        using var fromJwk = KeyImport.Import(System.Text.Encoding.UTF8.GetBytes(k.GetProperty("public_jwk").GetRawText()));

        Assert.Equal(point, fromSpki.RawPublicKey.ToArray());
        Assert.Equal(fromSpki, fromPkcs8.PublicKey);
        Assert.Equal(fromSpki, fromSec1.PublicKey);
        Assert.Equal(fromSpki, fromJwk.PublicKey);
        var exported = new byte[32];
        fromSec1.ExportPrivateKey(exported);
        Assert.Equal(d, exported);

        Assert.Equal(k.GetProperty("private_pkcs8_pem").GetString(), PemKeys.ExportPrivateKeyPem(fromSec1));
        Assert.Equal(k.GetProperty("public_spki_pem").GetString(), PemKeys.ExportPublicKeyPem(fromSpki));
    }

    [Fact]
    public void Rfc8410_ed25519_example_imports_and_exports_byte_identical()
    {
        using var key = PemKeys.ImportPrivateKeyPem(Rfc8410PrivatePem);
        Assert.Equal(SignatureAlgorithm.EdDSA, key.Algorithm);
        Assert.Equal(PemKeys.ImportPublicKeyPem(Rfc8410PublicPem), key.PublicKey);
        Assert.Equal(Rfc8410PrivatePem, PemKeys.ExportPrivateKeyPem(key));
        Assert.Equal(Rfc8410PublicPem, PemKeys.ExportPublicKeyPem(key.PublicKey));
    }

    [Theory]
    [InlineData("ecdsa_secp256r1_sha256_p1363_test.json")]
    [InlineData("ecdsa_secp256r1_sha256_test.json")]
    [InlineData("ed25519_test.json")]
    public void Wycheproof_group_keys_import_from_pem_der_and_jwk_and_export_identical_der(string file)
    {
        foreach (var group in WycheproofFile.Load(file).Cases.Select(c => c.Group).DistinctBy(g => g.GetProperty("publicKeyDer").GetString()))
        {
            var der = Convert.FromHexString(group.GetProperty("publicKeyDer").GetString()!);
            var fromDer = PemKeys.ImportSubjectPublicKeyInfo(der);
            var fromPem = PemKeys.ImportPublicKeyPem(group.GetProperty("publicKeyPem").GetString());
            Assert.Equal(fromDer, fromPem);
            Assert.Equal(der, PemKeys.ExportSubjectPublicKeyInfo(fromDer));
            Assert.Equal(group.GetProperty("publicKeyPem").GetString(), PemKeys.ExportPublicKeyPem(fromDer));
            if (group.TryGetProperty("publicKeyJwk", out var jwk))
            {
                using var imported = KeyImport.Import(System.Text.Encoding.UTF8.GetBytes(jwk.GetRawText()));
                Assert.Equal(fromDer, imported.PublicKey);
            }
        }
    }

    [Theory]
    [InlineData(SignatureAlgorithm.ES256)]
    [InlineData(SignatureAlgorithm.EdDSA)]
    public void Generated_keys_round_trip_through_pem(SignatureAlgorithm algorithm)
    {
        using var key = SigningKey.Generate(algorithm);
        using var back = PemKeys.ImportPrivateKeyPem(PemKeys.ExportPrivateKeyPem(key));
        Assert.Equal(key.PublicKey, back.PublicKey);
        Assert.Equal(key.PublicKey, PemKeys.ImportPublicKeyPem(PemKeys.ExportPublicKeyPem(key.PublicKey)));
        Assert.True(PemKeys.TryImport(PemKeys.ExportPublicKeyPem(key.PublicKey), out var signing, out var verification, out var error, out _));
        Assert.Null(signing);
        Assert.Equal(KeyFormatError.None, error);
        Assert.Equal(key.PublicKey, verification);
    }

    [Fact]
    public void P256_pem_from_the_base_library_is_accepted_and_ours_is_read_by_the_base_library()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var fromNet = PemKeys.ImportPrivateKeyPem(ecdsa.ExportPkcs8PrivateKeyPem());
        using var fromSec1 = PemKeys.ImportPrivateKeyPem(ecdsa.ExportECPrivateKeyPem());
        var publicKey = PemKeys.ImportPublicKeyPem(ecdsa.ExportSubjectPublicKeyInfoPem());
        Assert.Equal(publicKey, fromNet.PublicKey);
        Assert.Equal(publicKey, fromSec1.PublicKey);

        using var reader = ECDsa.Create();
        reader.ImportFromPem(PemKeys.ExportPrivateKeyPem(fromNet));
        var data = "data"u8.ToArray();
        var signature = reader.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        Assert.Equal(SignatureStatus.Valid, publicKey.Verify(data, signature, SignatureVerificationOptions.HighSCompatible));
    }

    public static TheoryData<string, KeyFormatError> RejectedPem()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var p521 = ECDsa.Create(ECCurve.NamedCurves.nistP521);
        using var rsa = RSA.Create(2048);
        using var p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p256Spki = p256.ExportSubjectPublicKeyInfo();
        var p256Parameters = p256.ExportParameters(true);
        var point = (byte[])[0x04, .. p256Parameters.Q.X!, .. p256Parameters.Q.Y!];
        var explicitParameters = ECDsa.Create(p256.ExportExplicitParameters(false));

        var offCurve = (byte[])point.Clone();
        offCurve[64] ^= 1;
        var compressed = (byte[])[(byte)(0x02 | (point[64] & 1)), .. p256Parameters.Q.X!];

        var order = Convert.FromHexString("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var otherPoint = (byte[])[0x04, .. other.ExportParameters(false).Q.X!, .. other.ExportParameters(false).Q.Y!];

        var data = new TheoryData<string, KeyFormatError>
        {
            { "", KeyFormatError.Empty },
            { "not a key", KeyFormatError.Malformed },
            { p384.ExportSubjectPublicKeyInfoPem(), KeyFormatError.UnsupportedAlgorithm },
            { p521.ExportPkcs8PrivateKeyPem(), KeyFormatError.UnsupportedAlgorithm },
            { p384.ExportECPrivateKeyPem(), KeyFormatError.UnsupportedAlgorithm },
            { rsa.ExportSubjectPublicKeyInfoPem(), KeyFormatError.UnsupportedAlgorithm },
            { rsa.ExportPkcs8PrivateKeyPem(), KeyFormatError.UnsupportedAlgorithm },
            { rsa.ExportRSAPrivateKeyPem(), KeyFormatError.UnsupportedAlgorithm },
            { explicitParameters.ExportSubjectPublicKeyInfoPem(), KeyFormatError.UnsupportedAlgorithm },
            { p256.ExportEncryptedPkcs8PrivateKeyPem("pw", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000)), KeyFormatError.EncryptedNotSupported },
            { "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00000000000000000000000000000000\n\nAAAA\n-----END EC PRIVATE KEY-----\n", KeyFormatError.EncryptedNotSupported },
            { p256.ExportSubjectPublicKeyInfoPem() + "\ntrailing text", KeyFormatError.Malformed },
            { "leading text\n" + p256.ExportSubjectPublicKeyInfoPem(), KeyFormatError.Malformed },
            { p256.ExportSubjectPublicKeyInfoPem() + "\n" + p256.ExportSubjectPublicKeyInfoPem(), KeyFormatError.Malformed },
            { Pem("PUBLIC KEY", [.. p256Spki, 0x00]), KeyFormatError.Malformed },
            { Pem("PUBLIC KEY", [0x30, 0x81, (byte)(p256Spki.Length - 2), .. p256Spki[2..]]), KeyFormatError.Malformed },
            { Pem("CERTIFICATE", p256Spki), KeyFormatError.UnsupportedAlgorithm },
            { Pem("PUBLIC KEY", Spki(PemKeys.IdEcPublicKey, PemKeys.IdPrime256v1, offCurve)), KeyFormatError.InvalidKey },
            { Pem("PUBLIC KEY", Spki(PemKeys.IdEcPublicKey, PemKeys.IdPrime256v1, compressed)), KeyFormatError.InvalidKey },
            { Pem("PUBLIC KEY", Spki("1.3.101.110", null, new byte[32])), KeyFormatError.UnsupportedAlgorithm },
            { Pem("PUBLIC KEY", Spki("1.3.101.113", null, new byte[57])), KeyFormatError.UnsupportedAlgorithm },
            { Pem("PUBLIC KEY", Spki(PemKeys.IdEd25519, null, new byte[31])), KeyFormatError.InvalidKey },
            { Pem("PUBLIC KEY", Ed25519SpkiWithNullParameters()), KeyFormatError.Malformed },
            { Pem("EC PRIVATE KEY", Sec1(p256Parameters.D!, withCurve: false, point)), KeyFormatError.Malformed },
            { Pem("EC PRIVATE KEY", Sec1(p256Parameters.D!, withCurve: true, otherPoint)), KeyFormatError.InvalidKey },
            { Pem("EC PRIVATE KEY", Sec1(new byte[32], withCurve: true, null)), KeyFormatError.InvalidKey },
            { Pem("EC PRIVATE KEY", Sec1(order, withCurve: true, null)), KeyFormatError.InvalidKey },
            { Pem("EC PRIVATE KEY", Sec1(p256Parameters.D![1..], withCurve: true, null)), KeyFormatError.InvalidKey },
            { Pem("PRIVATE KEY", Pkcs8(PemKeys.IdEcPublicKey, Sec1(p256Parameters.D!, withCurve: false, otherPoint))), KeyFormatError.InvalidKey },
            { Pem("PRIVATE KEY", Pkcs8(PemKeys.IdEd25519, OctetString(new byte[33]))), KeyFormatError.InvalidKey },
            { Pem("PRIVATE KEY", Pkcs8(PemKeys.IdEd25519, new byte[32])), KeyFormatError.Malformed },
        };
        explicitParameters.Dispose();
        return data;
    }

    [Theory]
    [MemberData(nameof(RejectedPem))]
    public void Pem_that_is_not_exactly_one_accepted_key_is_rejected_with_a_typed_error(string pem, KeyFormatError expected)
    {
        Assert.False(PemKeys.TryImport(pem, out var signing, out var verification, out var error, out var message));
        Assert.Null(signing);
        Assert.Null(verification);
        Assert.Equal(expected, error);
        Assert.False(string.IsNullOrWhiteSpace(message));
    }

    [Fact]
    public void Pem_type_checks_of_the_single_purpose_readers()
    {
        using var key = SigningKey.Generate(SignatureAlgorithm.ES256);
        Assert.Equal(KeyFormatError.UnrecognisedFormat, Assert.Throws<KeyFormatException>(() => PemKeys.ImportPublicKeyPem(PemKeys.ExportPrivateKeyPem(key))).Error);
        Assert.Equal(KeyFormatError.UnrecognisedFormat, Assert.Throws<KeyFormatException>(() => PemKeys.ImportPrivateKeyPem(PemKeys.ExportPublicKeyPem(key.PublicKey))).Error);
    }

    [Fact]
    public void Pkcs8_v2_one_asymmetric_key_is_accepted_only_when_its_public_key_matches()
    {
        using var key = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        var seed = new byte[32];
        key.ExportPrivateKey(seed);
        using var imported = PemKeys.ImportPrivateKeyPem(Pem("PRIVATE KEY", OneAsymmetricKey(seed, key.PublicKey.RawPublicKey.ToArray())));
        Assert.Equal(key.PublicKey, imported.PublicKey);
        var wrong = key.PublicKey.RawPublicKey.ToArray();
        wrong[5] ^= 0x40;
        Assert.Equal(KeyFormatError.InvalidKey, Assert.Throws<KeyFormatException>(() => PemKeys.ImportPrivateKeyPem(Pem("PRIVATE KEY", OneAsymmetricKey(seed, wrong)))).Error);
    }

    private static byte[] OneAsymmetricKey(byte[] seed, byte[] publicKey)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(1);
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(PemKeys.IdEd25519);
            }

            writer.WriteOctetString(OctetString(seed));
            writer.WriteBitString(publicKey, tag: new Asn1Tag(TagClass.ContextSpecific, 1));
        }

        return writer.Encode();
    }

    internal static string Pem(string label, byte[] der) => new string(PemEncoding.Write(label, der)) + "\n";

    private static byte[] Spki(string algorithm, string? curve, byte[] publicKey)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(algorithm);
                if (curve is not null)
                {
                    writer.WriteObjectIdentifier(curve);
                }
            }

            writer.WriteBitString(publicKey);
        }

        return writer.Encode();
    }

    private static byte[] Ed25519SpkiWithNullParameters()
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(PemKeys.IdEd25519);
                writer.WriteNull();
            }

            writer.WriteBitString(new byte[32]);
        }

        return writer.Encode();
    }

    private static byte[] Sec1(byte[] d, bool withCurve, byte[]? publicKey)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(1);
            writer.WriteOctetString(d);
            if (withCurve)
            {
                using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
                {
                    writer.WriteObjectIdentifier(PemKeys.IdPrime256v1);
                }
            }

            if (publicKey is not null)
            {
                using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 1, isConstructed: true)))
                {
                    writer.WriteBitString(publicKey);
                }
            }
        }

        return writer.Encode();
    }

    private static byte[] OctetString(byte[] content)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteOctetString(content);
        return writer.Encode();
    }

    private static byte[] Pkcs8(string algorithm, byte[] privateKey)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(0);
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(algorithm);
                if (algorithm == PemKeys.IdEcPublicKey)
                {
                    writer.WriteObjectIdentifier(PemKeys.IdPrime256v1);
                }
            }

            writer.WriteOctetString(privateKey);
        }

        return writer.Encode();
    }
}
