using AgentTrust.Cryptography;

namespace AgentTrust.Tests.Cryptography;

/// <summary>
/// Wycheproof ECDSA P-256/SHA-256, P1363 and DER. Wycheproof marks high-S signatures valid (plain ECDSA); AgentTrust
/// rejects them by default (<see cref="SignatureStatus.HighS"/>) and accepts them with
/// <see cref="SignatureVerificationOptions.HighSCompatible"/>; every test asserts both verdicts.
/// </summary>
public class WycheproofEcdsaTests
{
    private const string P1363File = "ecdsa_secp256r1_sha256_p1363_test.json";
    private const string DerFile = "ecdsa_secp256r1_sha256_test.json";

    public static TheoryData<int, string> P1363Cases => WycheproofFile.Ids(P1363File);

    public static TheoryData<int, string> DerCases => WycheproofFile.Ids(DerFile);

    [Theory]
    [MemberData(nameof(P1363Cases))]
    public void P1363_vector(int tcId, string description)
    {
        var c = WycheproofFile.Load(P1363File)[tcId];
        var key = KeyOf(c);
        var message = c.Hex("msg");
        var signature = c.Hex("sig");
        AssertVerdicts(c, key, message, signature, description);
    }

    [Theory]
    [MemberData(nameof(DerCases))]
    public void Der_vector_through_strict_conversion(int tcId, string description)
    {
        var c = WycheproofFile.Load(DerFile)[tcId];
        var key = KeyOf(c);
        var message = c.Hex("msg");
        var p1363 = new byte[64];
        var converted = EcdsaP256.TryConvertDerToP1363(c.Hex("sig"), p1363);
        if (c.IsValid)
        {
            Assert.True(converted, $"valid DER must convert: {description}");
            Assert.Equal(c.Hex("sig"), EcdsaP256.ConvertP1363ToDer(p1363));
            AssertVerdicts(c, key, message, p1363, description);
        }
        else
        {
            // Either the strict converter refuses it (BER, padding, trailing data, wrong tags...) or the signature
            // it holds does not verify even in the lenient high-S profile.
            Assert.False(converted && key.Verify(message, p1363, SignatureVerificationOptions.HighSCompatible) == SignatureStatus.Valid, description);
        }
    }

    [Fact]
    public void Vector_counts_match_the_sources_and_high_s_counts_match_the_collector()
    {
        var p1363 = WycheproofFile.Load(P1363File).Cases.ToList();
        var der = WycheproofFile.Load(DerFile).Cases.ToList();
        Assert.Equal(262, p1363.Count);
        Assert.Equal(484, der.Count);
        Assert.Equal(70, p1363.Count(c => c.IsValid && !EcdsaP256.IsLowS(c.Hex("sig"))));
        var derHighS = der.Where(c => c.IsValid).Count(c =>
        {
            var p = new byte[64];
            Assert.True(EcdsaP256.TryConvertDerToP1363(c.Hex("sig"), p));
            return !EcdsaP256.IsLowS(p);
        });
        Assert.Equal(71, derHighS);
    }

    internal static VerificationKey KeyOf(WycheproofCase c) =>
        VerificationKey.ImportP256Uncompressed(Convert.FromHexString(c.Group.GetProperty("publicKey").GetProperty("uncompressed").GetString()!));

    private static void AssertVerdicts(WycheproofCase c, VerificationKey key, byte[] message, byte[] signature, string description)
    {
        var strict = key.Verify(message, signature);
        var lenient = key.Verify(message, signature, SignatureVerificationOptions.HighSCompatible);
        if (!c.IsValid)
        {
            Assert.NotEqual(SignatureStatus.Valid, strict);
            Assert.NotEqual(SignatureStatus.Valid, lenient);
            return;
        }

        Assert.Equal(SignatureStatus.Valid, lenient);
        Assert.Equal(EcdsaP256.IsLowS(signature) ? SignatureStatus.Valid : SignatureStatus.HighS, strict);

        // The normalised form of every valid signature verifies under the strict default.
        var normalised = (byte[])signature.Clone();
        EcdsaP256.NormalizeToLowS(normalised);
        Assert.Equal(SignatureStatus.Valid, key.Verify(message, normalised));
        _ = description;
    }
}
