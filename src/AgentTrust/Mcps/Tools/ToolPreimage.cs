using System.Text.Json.Nodes;
using AgentTrust.Json;

namespace AgentTrust.Mcps.Tools;

/// <summary>The ONE place that builds tool-signature preimages and hashes, for signers and verifiers alike (mcps.md §10).</summary>
public static class ToolPreimage
{
    /// <summary>
    /// <c>mcps-tool-v1</c> signed bytes: <c>UTF-8(JCS({"name","description","inputSchema"[,"author_origin"]}))</c>,
    /// a missing member omitted (not null). The v1 <c>tool_hash</c> is the SHA-256 of the same bytes.
    /// </summary>
    /// <exception cref="CanonicalJsonException">The tool holds something JCS cannot represent.</exception>
    public static byte[] V1SigningInput(JsonObject tool, string? authorOrigin)
    {
        ArgumentNullException.ThrowIfNull(tool);
        var subset = new JsonObject();
        foreach (var member in (ReadOnlySpan<string>)["name", "description", "inputSchema"])
        {
            if (tool.TryGetPropertyValue(member, out var value))
            {
                subset[member] = value?.DeepClone();
            }
        }

        if (authorOrigin is not null)
        {
            subset["author_origin"] = authorOrigin;
        }

        return JsonCanonicalizer.Canonicalize(subset, CanonicalJsonOptions.Strict);
    }

    /// <summary>
    /// <c>agenttrust-tool-v2</c> covered bytes: the tool without <c>_meta["io.agenttrust/tool-signature"]</c> (and without
    /// <c>_meta</c> when it becomes empty), every other member included.
    /// </summary>
    /// <exception cref="CanonicalJsonException">The tool holds something JCS cannot represent.</exception>
    public static byte[] V2CoveredTool(JsonObject tool)
    {
        ArgumentNullException.ThrowIfNull(tool);
        var copy = (JsonObject)tool.DeepClone();
        if (copy["_meta"] is JsonObject meta)
        {
            meta.Remove(ToolSignatureProfiles.ContainerKey);
            if (meta.Count == 0)
            {
                copy.Remove("_meta");
            }
        }

        return JsonCanonicalizer.Canonicalize(copy, CanonicalJsonOptions.Strict);
    }

    /// <summary>The tool hash of a profile: lowercase hex SHA-256 of its covered bytes (v1 includes the author origin).</summary>
    public static string ToolHash(JsonObject tool, ToolSignatureProfile profile = ToolSignatureProfile.AgentTrustV2, string? authorOrigin = null) =>
        McpsJson.Sha256Hex(profile == ToolSignatureProfile.McpsV1 ? V1SigningInput(tool, authorOrigin) : V2CoveredTool(tool));

    /// <summary>
    /// <c>agenttrust-tool-v2</c> signed bytes: <c>UTF-8(JCS({"author_origin"?, "passport_id", "profile", "signed_at", "tool_hash"}))</c>.
    /// </summary>
    public static byte[] V2SigningInput(string toolHash, string passportId, string signedAt, string? authorOrigin)
    {
        var payload = new JsonObject
        {
            ["passport_id"] = passportId,
            ["profile"] = ToolSignatureProfiles.AgentTrustV2,
            ["signed_at"] = signedAt,
            ["tool_hash"] = toolHash,
        };
        if (authorOrigin is not null)
        {
            payload["author_origin"] = authorOrigin;
        }

        return JsonCanonicalizer.Canonicalize(payload, CanonicalJsonOptions.Strict);
    }
}
