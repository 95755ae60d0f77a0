namespace AgentTrust.Mcps.Tools;

/// <summary>The tool-signature profiles (mcps.md §10).</summary>
public enum ToolSignatureProfile
{
    /// <summary><c>agenttrust-tool-v2</c>, the default: the whole tool except its signature container is covered.</summary>
    AgentTrustV2 = 0,

    /// <summary><c>mcps-tool-v1</c>, mcp-secure compatibility: only <c>name</c>, <c>description</c>, <c>inputSchema</c> (and <c>author_origin</c>).</summary>
    McpsV1 = 1,
}

/// <summary>Wire names of the tool-signature profiles and container.</summary>
public static class ToolSignatureProfiles
{
    /// <summary>The v2 profile name.</summary>
    public const string AgentTrustV2 = "agenttrust-tool-v2";

    /// <summary>The v1 profile name.</summary>
    public const string McpsV1 = "mcps-tool-v1";

    /// <summary>The container key in <c>tool._meta</c>.</summary>
    public const string ContainerKey = "io.agenttrust/tool-signature";

    /// <summary>The wire name of a profile.</summary>
    public static string ToWireName(this ToolSignatureProfile profile) => profile == ToolSignatureProfile.McpsV1 ? McpsV1 : AgentTrustV2;

    /// <summary>Parses a wire name.</summary>
    public static bool TryParse(string? name, out ToolSignatureProfile profile)
    {
        profile = name == McpsV1 ? ToolSignatureProfile.McpsV1 : ToolSignatureProfile.AgentTrustV2;
        return name is AgentTrustV2 or McpsV1;
    }
}
