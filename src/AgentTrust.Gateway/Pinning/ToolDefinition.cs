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

    /// <summary>The most differences a refusal lists.</summary>
    public const int MaxDifferences = 32;

    /// <summary>Values longer than this (as compact JSON) are named by their path only.</summary>
    public const int MaxValueLength = 256;

    /// <summary>
    /// The field-level differences between two definitions, in document order: <c>{"path": JSON pointer, "change":
    /// "added"|"removed"|"changed", "pinned"?, "received"?}</c>, the values given when short. Objects are compared member
    /// by member; arrays element by element (a length change is reported at the array).
    /// </summary>
    public static JsonArray Differences(JsonObject pinned, JsonObject received)
    {
        var differences = new JsonArray();
        Compare("", pinned, received, differences);
        return differences;
    }

    private static void Compare(string path, JsonNode? pinned, JsonNode? received, JsonArray differences)
    {
        if (differences.Count >= MaxDifferences || JsonNode.DeepEquals(pinned, received))
        {
            return;
        }

        if (pinned is JsonObject before && received is JsonObject after)
        {
            foreach (var (key, value) in before)
            {
                var child = path + "/" + Escape(key);
                if (after.TryGetPropertyValue(key, out var other))
                {
                    Compare(child, value, other, differences);
                }
                else
                {
                    Add(differences, child, "removed", value, null);
                }
            }

            foreach (var (key, value) in after)
            {
                if (!before.ContainsKey(key))
                {
                    Add(differences, path + "/" + Escape(key), "added", null, value);
                }
            }

            return;
        }

        if (pinned is JsonArray beforeArray && received is JsonArray afterArray && beforeArray.Count == afterArray.Count)
        {
            for (var i = 0; i < beforeArray.Count; i++)
            {
                Compare(path + "/" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), beforeArray[i], afterArray[i], differences);
            }

            return;
        }

        Add(differences, path, "changed", pinned, received);
    }

    private static void Add(JsonArray differences, string path, string change, JsonNode? pinned, JsonNode? received)
    {
        if (differences.Count >= MaxDifferences)
        {
            return;
        }

        var entry = new JsonObject { ["path"] = path, ["change"] = change };
        if (change != "added" && Short(pinned) is { } before)
        {
            entry["pinned"] = before;
        }

        if (change != "removed" && Short(received) is { } after)
        {
            entry["received"] = after;
        }

        differences.Add((JsonNode)entry);
    }

    private static JsonNode? Short(JsonNode? value) =>
        value is not null && value.ToJsonString().Length <= MaxValueLength ? value.DeepClone() : null;

    private static string Escape(string key) => key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
}
