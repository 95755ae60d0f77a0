using System.Text;
using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Mcps;

/// <summary>Reads ../shared/interop/mcps/vectors.json at test time (never copied into tests).</summary>
internal static class McpsVectors
{
    private static readonly Lazy<JsonObject> Root = new(() =>
        (JsonObject)JsonNode.Parse(SharedFiles.ReadText("interop", "mcps", "vectors.json"))!);

    public static JsonObject Document => Root.Value;

    public static long VerifyAtMs => (long)Document["meta"]!["verify_at_ms"]!;

    public static JsonArray Section(string name) => (JsonArray)Document[name]!;

    public static JsonObject Named(string section, string name) =>
        Section(section).OfType<JsonObject>().Single(e => (string?)e["name"] == name);

    /// <summary>One xunit row per named entry of a section.</summary>
    public static TheoryData<string> Names(string section)
    {
        var data = new TheoryData<string>();
        foreach (var entry in Section(section).OfType<JsonObject>())
        {
            data.Add((string)entry["name"]!);
        }

        return data;
    }

    public static VerificationKey PublicKey(string label)
    {
        var key = Document["keys"]![label]!;
        return VerificationKey.ImportP256(Convert.FromHexString((string)key["x_hex"]!), Convert.FromHexString((string)key["y_hex"]!));
    }

    public static SigningKey PrivateKey(string label) =>
        SigningKey.Import(SignatureAlgorithm.ES256, Convert.FromHexString((string)Document["keys"]![label]!["d_hex"]!));

    public static string Text(JsonNode? node) => (string)node!;

    public static byte[] Utf8(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    public static ManualTimeProvider ClockAt(long ms) => ManualTimeProvider.AtUnixMilliseconds(ms);
}
