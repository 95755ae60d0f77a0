using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentTrust.Json.Canonical;

/// <summary>
/// A node whose RFC 8785 bytes are already known (computed from this very node under the same options), so that
/// <see cref="JcsNodeWriter"/> writes them where it meets the node instead of walking it again.
/// </summary>
internal sealed class KnownCanonical
{
    private KnownCanonical(JsonNode node, byte[] canonical, int nestedDepth)
    {
        Node = node;
        Canonical = canonical;
        NestedDepth = nestedDepth;
    }

    /// <summary>The node (matched by reference).</summary>
    public JsonNode Node { get; }

    /// <summary>Its canonical bytes.</summary>
    public byte[] Canonical { get; }

    /// <summary>The depth of its deepest container relative to the node itself (0 for an object of scalars), or -1 for a scalar.</summary>
    public int NestedDepth { get; }

    /// <summary>
    /// The same bytes for another node with exactly the same content (for example parsed from the same JSON text):
    /// the caller vouches for the equality.
    /// </summary>
    public KnownCanonical For(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return new KnownCanonical(node, Canonical, NestedDepth);
    }

    /// <summary>Canonicalises <paramref name="node"/> under <paramref name="options"/> and records the result for it.</summary>
    /// <exception cref="CanonicalJsonException">The node holds something JCS cannot represent.</exception>
    public static KnownCanonical Of(JsonNode node, CanonicalJsonOptions options)
    {
        ArgumentNullException.ThrowIfNull(node);
        var canonical = JsonCanonicalizer.Canonicalize(node, options);
        var deepest = -1;
        var reader = new Utf8JsonReader(canonical, new JsonReaderOptions { MaxDepth = options.MaxDepth + 1 });
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                deepest = Math.Max(deepest, reader.CurrentDepth);
            }
        }

        return new KnownCanonical(node, canonical, deepest);
    }
}
