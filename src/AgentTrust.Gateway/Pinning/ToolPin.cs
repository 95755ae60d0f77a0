using System.Text.Json.Nodes;

namespace AgentTrust.Gateway.Pinning;

/// <summary>A pinned tool definition: what the gateway accepted the first time it saw the tool.</summary>
/// <param name="ToolHash">Lowercase hex SHA-256 of JCS of the covered definition.</param>
/// <param name="Definition">The covered definition (kept so that a change can be explained member by member).</param>
/// <param name="PinnedAt">When the pin was taken.</param>
public sealed record ToolPin(string ToolHash, JsonObject Definition, DateTimeOffset PinnedAt);
