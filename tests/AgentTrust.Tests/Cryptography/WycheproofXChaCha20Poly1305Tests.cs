using AgentTrust.Cryptography;

namespace AgentTrust.Tests.Cryptography;

/// <summary>
/// Wycheproof XChaCha20-Poly1305. Valid cases must encrypt to <c>ct‖tag</c> and decrypt back; invalid tags must fail
/// to decrypt; nonces other than 24 bytes are refused by the API (an argument error, never a silent truncation).
/// </summary>
public class WycheproofXChaCha20Poly1305Tests
{
    private const string File = "xchacha20_poly1305_test.json";

    public static TheoryData<int, string> Cases => WycheproofFile.Ids(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void XChaCha20Poly1305_vector(int tcId, string description)
    {
        var c = WycheproofFile.Load(File)[tcId];
        var key = c.Hex("key");
        var nonce = c.Hex("iv");
        var aad = c.Hex("aad");
        var message = c.Hex("msg");
        var sealedBox = c.Hex("ct").Concat(c.Hex("tag")).ToArray();
        var plaintext = new byte[message.Length];

        if (nonce.Length != XChaCha20Poly1305.NonceSize || key.Length != XChaCha20Poly1305.KeySize)
        {
            Assert.False(c.IsValid, description);
            Assert.Throws<ArgumentException>(() => XChaCha20Poly1305.Encrypt(key, nonce, message, aad, new byte[message.Length + 16]));
            Assert.Throws<ArgumentException>(() => XChaCha20Poly1305.TryDecrypt(key, nonce, sealedBox, aad, plaintext));
            return;
        }

        var decrypted = XChaCha20Poly1305.TryDecrypt(key, nonce, sealedBox, aad, plaintext);
        Assert.Equal(c.IsValid, decrypted);
        if (c.IsValid)
        {
            Assert.Equal(message, plaintext);
            var output = new byte[message.Length + XChaCha20Poly1305.TagSize];
            XChaCha20Poly1305.Encrypt(key, nonce, message, aad, output);
            Assert.Equal(sealedBox, output);
        }
        else
        {
            Assert.All(plaintext, b => Assert.Equal(0, b));
        }
    }
}
