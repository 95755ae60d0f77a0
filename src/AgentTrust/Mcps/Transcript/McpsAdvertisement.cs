using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Mcps.Envelopes;

namespace AgentTrust.Mcps.Transcript;

/// <summary>
/// The MCPS capability advertisement (mcps.md §11.1, §12): written to <c>capabilities.extensions["io.agenttrust/mcps"]</c>;
/// read also from <c>capabilities.experimental["io.agenttrust/mcps"]</c> and mcp-secure's <c>capabilities.mcps</c>.
/// </summary>
/// <param name="Versions">Advertised versions.</param>
/// <param name="PassportId">The advertiser's passport id, or null.</param>
/// <param name="TrustLevel">Client: the declared trust level; null when absent.</param>
/// <param name="MinTrustLevel">Server: the minimum level; null when absent.</param>
/// <param name="Required">Server: MCPS is required.</param>
public sealed record McpsAdvertisement(IReadOnlyList<string> Versions, string? PassportId, int? TrustLevel, int? MinTrustLevel, bool Required)
{
    /// <summary>The extension key.</summary>
    public const string Key = "io.agenttrust/mcps";

    /// <summary>Reads the advertisement from a <c>capabilities</c> object; null when absent or malformed.</summary>
    public static McpsAdvertisement? Read(JsonObject capabilities)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        var node = (capabilities["extensions"] as JsonObject)?[Key] as JsonObject
            ?? (capabilities["experimental"] as JsonObject)?[Key] as JsonObject
            ?? capabilities["mcps"] as JsonObject;
        if (node is null)
        {
            return null;
        }

        var versions = new List<string>();
        if (node["versions"] is JsonArray array)
        {
            versions.AddRange(array.Where(McpsJson.IsString).Select(v => v!.GetValue<string>()));
        }
        else if (McpsJson.GetString(node, "version") is { } single)
        {
            versions.Add(single);
        }

        return new McpsAdvertisement(versions, McpsJson.GetString(node, "passport_id"), Int(node, "trust_level"), Int(node, "min_trust_level"),
            node["required"] is JsonValue r && r.GetValueKind() == JsonValueKind.True);
    }

    /// <summary>Writes this advertisement into <c>capabilities.extensions</c>.</summary>
    public void WriteTo(JsonObject capabilities)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        var extensions = capabilities["extensions"] as JsonObject ?? [];
        capabilities["extensions"] = extensions;
        var node = new JsonObject { ["versions"] = new JsonArray([.. Versions.Select(v => (JsonNode?)JsonValue.Create(v))]) };
        if (PassportId is not null)
        {
            node["passport_id"] = PassportId;
        }

        if (TrustLevel is { } level)
        {
            node["trust_level"] = level;
        }

        if (MinTrustLevel is { } min)
        {
            node["min_trust_level"] = min;
            node["required"] = Required;
        }

        extensions[Key] = node;
    }

    /// <summary>The default client advertisement.</summary>
    public static McpsAdvertisement Client(string passportId, int trustLevel) => new([McpsEnvelopeConstants.Version], passportId, trustLevel, null, false);

    private static int? Int(JsonObject node, string name) =>
        node[name] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out JsonElement e) && e.TryGetInt32(out var i) ? i
        : node[name] is JsonValue w && w.TryGetValue(out int j) ? j : null;
}
