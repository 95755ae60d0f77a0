namespace AgentTrust.Mcps.Tools;

/// <summary>A pinned tool (mcps.md §10.3): keyed by (server identity, tool name), holding the v2 tool hash and the signer.</summary>
/// <param name="ServerId">The server identity: its passport id when it signs, else the configured endpoint.</param>
/// <param name="ToolName">The tool name.</param>
/// <param name="ToolHash">The <c>agenttrust-tool-v2</c> hash (computed even for unsigned tools).</param>
/// <param name="SignerPassportId">The passport that signed the tool, or null.</param>
/// <param name="PinnedAt">When the pin was made or last approved.</param>
public sealed record ToolPin(string ServerId, string ToolName, string ToolHash, string? SignerPassportId, DateTimeOffset PinnedAt);

/// <summary>
/// Storage of tool pins. Implementations never replace a pin as a side effect: <see cref="TryAddAsync"/> refuses an
/// existing key, and only <see cref="ApproveAsync"/> (an explicit operator decision) overwrites.
/// </summary>
public interface IToolPinStore
{
    /// <summary>The pins of one server, by tool name.</summary>
    ValueTask<IReadOnlyDictionary<string, ToolPin>> GetAsync(string serverId, CancellationToken cancellationToken);

    /// <summary>Adds a pin unless one exists for the key; false when it existed (the old pin is kept).</summary>
    ValueTask<bool> TryAddAsync(ToolPin pin, CancellationToken cancellationToken);

    /// <summary>Sets a pin, replacing any previous one: the explicit approval path.</summary>
    ValueTask ApproveAsync(ToolPin pin, CancellationToken cancellationToken);

    /// <summary>Removes a pin; false when there was none.</summary>
    ValueTask<bool> RemoveAsync(string serverId, string toolName, CancellationToken cancellationToken);
}
