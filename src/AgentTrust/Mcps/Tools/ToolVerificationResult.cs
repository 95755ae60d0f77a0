using AgentTrust.Errors;

namespace AgentTrust.Mcps.Tools;

/// <summary>The outcome of a tool-signature check (mcp-secure <c>verifyTool</c> → <c>{valid, tool_hash, hash_changed}</c>).</summary>
public sealed record ToolVerificationResult
{
    /// <summary>True when the signature verifies and the hash equals the pin (if one was given).</summary>
    public bool IsValid { get; init; }

    /// <summary>The failure code (MCPS-008, or MCPS-011 for an author-origin mismatch), or null.</summary>
    public McpsCode? Code { get; init; }

    /// <summary>The failure reason, or null.</summary>
    public string? Reason { get; init; }

    /// <summary>The tool hash computed from the tool as received.</summary>
    public string? ToolHash { get; init; }

    /// <summary>True when a pinned hash was given and differs.</summary>
    public bool HashChanged { get; init; }

    /// <summary>The profile checked.</summary>
    public ToolSignatureProfile Profile { get; init; }

    /// <summary>The signer's passport id (container profiles), or null.</summary>
    public string? PassportId { get; init; }
}
