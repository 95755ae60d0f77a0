using AgentTrust.Cryptography;
using AgentTrust.Keys;

namespace AgentTrust.Tests.Cryptography;

public class SigningKeyTests
{
    private static readonly byte[] Message = "the signed bytes"u8.ToArray();

    [Theory]
    [InlineData(SignatureAlgorithm.ES256)]
    [InlineData(SignatureAlgorithm.EdDSA)]
    public void Signature_verifies_and_any_flipped_bit_fails(SignatureAlgorithm algorithm)
    {
        using var key = SigningKey.Generate(algorithm);
        var signature = key.Sign(Message);
        Assert.Equal(64, signature.Length);
        Assert.Equal(SignatureStatus.Valid, key.PublicKey.Verify(Message, signature));

        for (var bit = 0; bit < 512; bit += 37)
        {
            var tampered = (byte[])signature.Clone();
            tampered[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.NotEqual(SignatureStatus.Valid, key.PublicKey.Verify(Message, tampered));
        }

        var otherMessage = (byte[])Message.Clone();
        otherMessage[0] ^= 1;
        Assert.Equal(SignatureStatus.Mismatch, key.PublicKey.Verify(otherMessage, signature));
    }

    [Fact]
    public void Es256_signatures_are_always_low_s_and_high_s_is_rejected_unless_allowed()
    {
        using var key = SigningKey.Generate(SignatureAlgorithm.ES256);
        for (var i = 0; i < 64; i++)
        {
            var signature = key.Sign(Message);
            Assert.True(EcdsaP256.IsLowS(signature));

            var high = HighSOf(signature);
            Assert.False(EcdsaP256.IsLowS(high));
            Assert.Equal(SignatureStatus.HighS, key.PublicKey.Verify(Message, high));
            Assert.Equal(SignatureStatus.Valid, key.PublicKey.Verify(Message, high, SignatureVerificationOptions.HighSCompatible));
        }
    }

    [Theory]
    [InlineData(SignatureAlgorithm.ES256)]
    [InlineData(SignatureAlgorithm.EdDSA)]
    public void Export_and_import_of_the_private_key_round_trips(SignatureAlgorithm algorithm)
    {
        using var key = SigningKey.Generate(algorithm);
        var d = new byte[32];
        key.ExportPrivateKey(d);
        using var imported = SigningKey.Import(algorithm, d);
        Assert.Equal(key.PublicKey, imported.PublicKey);
        Assert.Equal(SignatureStatus.Valid, key.PublicKey.Verify(Message, imported.Sign(Message)));
    }

    [Theory]
    [InlineData(SignatureAlgorithm.ES256)]
    [InlineData(SignatureAlgorithm.EdDSA)]
    public void Jwk_round_trip_keeps_the_key_and_thumbprint(SignatureAlgorithm algorithm)
    {
        using var key = SigningKey.Generate(algorithm);
        var jwk = key.PublicKey.ToJsonWebKey();
        Assert.True(JsonWebKey.TryParse(jwk.ToJson(), out var parsed, out var error), error);
        Assert.Equal(key.PublicKey, parsed!.ToVerificationKey());
        Assert.Equal(key.PublicKey.Thumbprint, parsed.ComputeThumbprint());
    }

    [Fact]
    public void Wrong_lengths_are_rejected_not_thrown()
    {
        using var key = SigningKey.Generate(SignatureAlgorithm.ES256);
        Assert.Equal(SignatureStatus.WrongLength, key.PublicKey.Verify(Message, new byte[63]));
        Assert.Equal(SignatureStatus.WrongLength, key.PublicKey.Verify(Message, new byte[72]));
        Assert.Equal(SignatureStatus.OutOfRange, key.PublicKey.Verify(Message, new byte[64]));
    }

    private static byte[] HighSOf(byte[] lowS)
    {
        var n = System.Numerics.BigInteger.Parse("0ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", System.Globalization.NumberStyles.HexNumber);
        var s = new System.Numerics.BigInteger(lowS.AsSpan(32), isUnsigned: true, isBigEndian: true);
        var high = (n - s).ToByteArray(isUnsigned: true, isBigEndian: true);
        var result = (byte[])lowS.Clone();
        Array.Clear(result, 32, 32);
        high.CopyTo(result, 64 - high.Length);
        return result;
    }
}
