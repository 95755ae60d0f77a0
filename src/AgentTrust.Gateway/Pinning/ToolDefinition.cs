using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AgentTrust.Json;

namespace AgentTrust.Gateway.Pinning;

/// <summary>
/// The pinned form of a tool (mcps.md §10.2/§10.3): the tool object exactly as received in the raw
/// <c>tools/list</c> JSON, without its own signature container, and its <c>tool_hash</c> (lowercase hex SHA-256 of JCS).
/// </summary>
internal static class ToolDefinition
{
    public const string SignatureKey = "io.agenttrust/tool-signature";

    /// <summary>T': the tool without <c>_meta["io.agenttrust/tool-signature"]</c>, and without <c>_meta</c> if that emptied it.</summary>
    public static JsonObject Covered(JsonObject tool)
    {
        var copy = (JsonObject)tool.DeepClone();
        if (copy["_meta"] is JsonObject meta && meta.Remove(SignatureKey) && meta.Count == 0)
        {
            copy.Remove("_meta");
        }

        return copy;
    }

    /// <summary>The tool hash of a covered definition.</summary>
    public static string Hash(JsonObject covered) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonCanonicalizer.Canonicalize(covered)));

    /// <summary>The top-level members that differ between two definitions (added, removed or changed), sorted.</summary>
    public static IReadOnlyList<string> ChangedMembers(JsonObject pinned, JsonObject received)
    {
        var changed = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in pinned)
        {
            if (!received.TryGetPropertyValue(key, out var other) || !JsonNode.DeepEquals(value, other))
            {
                changed.Add(key);
            }
        }

        foreach (var (key, _) in received)
        {
            if (!pinned.ContainsKey(key))
            {
                changed.Add(key);
            }
        }

        return [.. changed];
    }
}
