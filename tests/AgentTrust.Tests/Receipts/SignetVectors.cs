using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Receipts;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Receipts;

/// <summary>Access to ../shared/interop/signet (vectors.json, receipt files, fixed seeds).</summary>
internal static class SignetVectors
{
    private static readonly Lazy<JsonObject> Root = new(() => (JsonObject)JsonNode.Parse(SharedFiles.ReadText("interop", "signet", "vectors.json"))!);

    public static JsonObject Vectors => (JsonObject)Root.Value["vectors"]!;

    public static JsonObject Vector(string name) => (JsonObject)Vectors[name]!;

    public static byte[] FileBytes(string file) => SharedFiles.ReadBytes("interop", "signet", file);

    public static string FilePath(string file) => SharedFiles.Path("interop", "signet", file);

    public static JsonObject FileJson(string file) => (JsonObject)JsonNode.Parse(FileBytes(file))!;

    public static SigningKey Key(string name)
        => SigningKey.Import(SignatureAlgorithm.EdDSA, Convert.FromHexString(Root.Value["keys"]![name]!["seed_hex"]!.GetValue<string>()));

    public static byte[] Seed(string name) => Convert.FromHexString(Root.Value["keys"]![name]!["seed_hex"]!.GetValue<string>());

    public static string PublicKey(string name) => Root.Value["keys"]![name]!["pubkey"]!.GetValue<string>();

    public static PinnedReceiptKeys AllFixedKeys() => new PinnedReceiptKeys()
        .Pin(PublicKey("agent"), ReceiptKeyRole.Agent)
        .Pin(PublicKey("server"), ReceiptKeyRole.Server)
        .Pin(PublicKey("root"), ReceiptKeyRole.DelegationRoot);

    public static string S(JsonNode? node) => node!.GetValue<string>();
}
