using AgentTrust.Cryptography;

namespace AgentTrust.Tests.Cryptography;

/// <summary>Wycheproof Ed25519 through <see cref="VerificationKey"/> (libsodium <c>crypto_sign_verify_detached</c>).</summary>
public class WycheproofEd25519Tests
{
    private const string File = "ed25519_test.json";

    public static TheoryData<int, string> Cases => WycheproofFile.Ids(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ed25519_vector(int tcId, string description)
    {
        var c = WycheproofFile.Load(File)[tcId];
        var key = VerificationKey.ImportEd25519(Convert.FromHexString(c.Group.GetProperty("publicKey").GetProperty("pk").GetString()!));
        var status = key.Verify(c.Hex("msg"), c.Hex("sig"));
        Assert.True(c.IsValid == (status == SignatureStatus.Valid), $"{description}: got {status}");
        Assert.Equal(c.IsValid, Ed25519.Verify(key.RawPublicKey.Span, c.Hex("msg"), c.Hex("sig")));
    }
}
