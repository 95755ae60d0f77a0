using System.Text.Json.Nodes;
using AgentTrust.Mcps.Tools;

namespace AgentTrust.Gateway.Pinning;

/// <summary>Explains a changed tool definition member by member (the decision itself is the mcps pin checker's).</summary>
internal static class ToolDefinition
{
    /// <summary>The covered form of a tool (mcps.md §10.2 T'), as the pin hash covers it.</summary>
    public static JsonObject Covered(JsonObject tool)
    {
        var copy = (JsonObject)tool.DeepClone();
        if (copy["_meta"] is JsonObject meta && meta.Remove(ToolSignatureProfiles.ContainerKey) && meta.Count == 0)
        {
            copy.Remove("_meta");
        }

        return copy;
    }

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
