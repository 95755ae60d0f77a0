using System.Text.Json.Nodes;

namespace AgentTrust.Receipts;

/// <summary>
/// What a receipt attests: the tool call (receipts.md §3). <see cref="Params"/> null together with a
/// <see cref="ParamsHash"/> is hash-only mode; otherwise the hash is always computed from the params.
/// </summary>
/// <param name="Tool">The tool name (<c>params.name</c> of the MCP call).</param>
/// <param name="Params">The arguments, or null.</param>
/// <param name="Target">The target, e.g. <c>mcp://github.local</c>.</param>
public sealed record ReceiptAction(string Tool, JsonNode? Params, string Target)
{
    /// <summary>The transport; Signet always writes <c>stdio</c>.</summary>
    public string Transport { get; init; } = "stdio";

    /// <summary>Hash-only mode: the caller's <c>sha256:</c> hash of params that are not disclosed (requires <see cref="Params"/> null).</summary>
    public string? ParamsHash { get; init; }

    /// <summary>The MCP session id, if known.</summary>
    public string? Session { get; init; }

    /// <summary>The JSON-RPC call id (<c>n:&lt;num&gt;</c> or <c>s:&lt;string&gt;</c>), if known.</summary>
    public string? CallId { get; init; }

    /// <summary>The hash of the response, if known.</summary>
    public string? ResponseHash { get; init; }

    /// <summary>A trace id, if any.</summary>
    public string? TraceId { get; init; }

    /// <summary>The id of a parent receipt, if any.</summary>
    public string? ParentReceiptId { get; init; }

    /// <summary>Creates a hash-only action: the params are hashed (Signet profile) and not disclosed.</summary>
    public static ReceiptAction HashOnly(string tool, JsonNode? parameters, string target)
        => new(tool, null, target) { ParamsHash = ReceiptEncoding.ContentHash(parameters) };
}
