using AgentTrust.Cryptography;
using AgentTrust.Keys;
using AgentTrust.KeyStore;

namespace AgentTrust.Tests.Keys;

/// <summary>
/// Mutation tests: flipped, truncated, extended and spliced key inputs either import to a well-formed key or fail with
/// a <see cref="KeyFormatException"/>; no other exception type ever escapes the readers.
/// </summary>
public class KeyParsingRobustnessTests
{
    private const int Mutations = 1500;

    public static TheoryData<string> Inputs() => ["pkcs8-es256", "pkcs8-ed25519", "spki-es256", "spki-ed25519", "sec1", "jwk-private", "signet-key", "signet-pub"];

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Mutated_inputs_never_escape_as_anything_but_a_typed_key_error(string input)
    {
        using var es = SigningKey.Import(SignatureAlgorithm.ES256, Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
        using var ed = SigningKey.Import(SignatureAlgorithm.EdDSA, new byte[32]);
        using var net = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var original = input switch
        {
            "pkcs8-es256" => PemKeys.ExportPkcs8(es),
            "pkcs8-ed25519" => PemKeys.ExportPkcs8(ed),
            "spki-es256" => PemKeys.ExportSubjectPublicKeyInfo(es.PublicKey),
            "spki-ed25519" => PemKeys.ExportSubjectPublicKeyInfo(ed.PublicKey),
            "sec1" => net.ExportECPrivateKey(),
            "jwk-private" => System.Text.Encoding.UTF8.GetBytes(JsonWebKey.ForPrivateKey(es, "kid").ToJson()),
            "signet-key" => SignetKeyFile.WriteUnencrypted(ed, "name"),
            _ => SignetKeyFile.WritePublic(es.PublicKey, "name", DateTimeOffset.UnixEpoch, "owner"),
        };
        var label = input.StartsWith("pkcs8", StringComparison.Ordinal) ? "PRIVATE KEY" : input == "sec1" ? "EC PRIVATE KEY" : "PUBLIC KEY";
        var isDer = !input.StartsWith("jwk", StringComparison.Ordinal) && !input.StartsWith("signet", StringComparison.Ordinal);

        var random = new Random(input.GetHashCode(StringComparison.Ordinal) ^ 0x5eed);
        for (var i = 0; i < Mutations; i++)
        {
            var mutated = Mutate(original, random);
            var content = isDer ? System.Text.Encoding.UTF8.GetBytes(PemKeysTests.Pem(label, mutated)) : mutated;
            try
            {
                using var key = KeyImport.Import(content, () => throw new InvalidOperationException("no passphrase in this test"));
                Assert.NotNull(key.PublicKey);
                if (key.SigningKey is not null)
                {
                    Assert.Equal(key.PublicKey, key.SigningKey.PublicKey);
                    Assert.Equal(SignatureStatus.Valid, key.PublicKey.Verify("m"u8, key.SigningKey.Sign("m"u8)));
                }
            }
            catch (KeyFormatException e)
            {
                Assert.NotEqual(KeyFormatError.None, e.Error);
            }
            catch (InvalidOperationException e) when (e.Message == "no passphrase in this test")
            {
                // A mutation produced a syntactically valid encrypted file: the passphrase was asked only after every check.
            }
        }
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = original.ToList();
        var edits = random.Next(1, 4);
        for (var e = 0; e < edits; e++)
        {
            switch (random.Next(5))
            {
                case 0 when bytes.Count > 0:
                    var at = random.Next(bytes.Count);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 1:
                    bytes.RemoveRange(random.Next(bytes.Count), 1);
                    break;
                case 2:
                    bytes.Insert(random.Next(bytes.Count + 1), (byte)random.Next(256));
                    break;
                case 3 when bytes.Count > 2:
                    bytes.RemoveRange(random.Next(bytes.Count / 2, bytes.Count), 1);
                    bytes = bytes.Take(random.Next(1, bytes.Count)).ToList();
                    break;
                default:
                    if (bytes.Count > 0)
                    {
                        bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                    }

                    break;
            }
        }

        return [.. bytes];
    }
}
