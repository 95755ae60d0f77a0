using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace AgentTrust.Gateway.Messages;

/// <summary>Writes JSON nodes as compact single-line UTF-8, escaping only what JSON requires (no HTML escaping).</summary>
internal static class JsonWire
{
    // The serializer writes through a per-thread cached writer into a pooled buffer, so a message costs one array (the
    // result), not a writer and a buffer grown by doubling. The bytes are the same as node.WriteTo with these options.
    private static readonly JsonTypeInfo<JsonNode> Node = new JsonWireContext(new JsonSerializerOptions
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
        MaxDepth = 1000, // as a Utf8JsonWriter with default options (the serializer's own default is 64)
    }).JsonNode;

    public static byte[] Serialize(JsonNode node) => JsonSerializer.SerializeToUtf8Bytes(node, Node);
}

/// <summary>The source-generated metadata <see cref="JsonWire"/> writes nodes with.</summary>
[JsonSerializable(typeof(JsonNode))]
internal sealed partial class JsonWireContext : JsonSerializerContext;
