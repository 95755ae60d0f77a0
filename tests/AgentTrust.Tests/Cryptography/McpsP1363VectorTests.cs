using System.Text.Json;
using AgentTrust.Cryptography;
using AgentTrust.Keys;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Cryptography;

/// <summary>The <c>p1363</c> section of interop/mcps/vectors.json: DER → P1363, low-S normalisation, verdicts per profile.</summary>
public class McpsP1363VectorTests
{
    private static JsonElement Root()
    {
        using var document = JsonDocument.Parse(SharedFiles.ReadBytes("interop", "mcps", "vectors.json"));
        return document.RootElement.Clone();
    }

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var e in Root().GetProperty("p1363").EnumerateArray())
        {
            data.Add(e.GetProperty("data_utf8").GetString()!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void P1363_vector(string name)
    {
        var root = Root();
        var v = root.GetProperty("p1363").EnumerateArray().Single(e => e.GetProperty("data_utf8").GetString() == name);
        var keyName = v.GetProperty("public_key").GetString()!;
        var key = PemKeys.ImportPublicKeyPem(root.GetProperty("keys").GetProperty(keyName).GetProperty("public_spki_pem").GetString());
        var data = System.Text.Encoding.UTF8.GetBytes(name);
        byte[] Hex(string member) => Convert.FromHexString(v.GetProperty(member).GetString()!);

        var p1363 = new byte[64];
        Assert.True(EcdsaP256.TryConvertDerToP1363(Hex("der_hex"), p1363));
        Assert.Equal(Hex("p1363_hex"), p1363);
        Assert.Equal(v.GetProperty("s_is_high").GetBoolean(), !EcdsaP256.IsLowS(p1363));
        Assert.Equal(Hex("der_hex"), EcdsaP256.ConvertP1363ToDer(p1363));

        var low = (byte[])p1363.Clone();
        EcdsaP256.NormalizeToLowS(low);
        Assert.Equal(Hex("low_s_p1363_hex"), low);

        var high = Hex("high_s_p1363_hex");
        Assert.Equal(SignatureStatus.Valid, key.Verify(data, Hex("low_s_p1363_hex")));
        Assert.Equal(SignatureStatus.HighS, key.Verify(data, high));
        Assert.Equal(SignatureStatus.Valid, key.Verify(data, high, SignatureVerificationOptions.HighSCompatible));
    }
}
