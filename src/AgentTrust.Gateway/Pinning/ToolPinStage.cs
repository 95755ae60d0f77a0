using System.Text.Json.Nodes;
using AgentTrust.Errors;
using AgentTrust.Gateway.Messages;
using AgentTrust.Gateway.Pipeline;

namespace AgentTrust.Gateway.Pinning;

/// <summary>
/// Pins every tool in <c>tools/list</c> results (first sight: trust on first use, or refuse under strict pinning) and
/// refuses a changed definition with MCPS-008 <c>pin_mismatch</c>, naming the members that changed and both hashes.
/// A <c>tools/call</c> for a tool whose definition changed, or that was never listed, is refused before it reaches
/// the server (MCPS-008 <c>pin_mismatch</c> / <c>unpinned_tool</c>). The old pin is kept: the server cannot replace it.
/// </summary>
public sealed class ToolPinStage : IRelayStage
{
    private readonly ToolPinStore _store;
    private readonly string _serverIdentity;
    private readonly bool _strict;
    private readonly TimeProvider _time;
    private readonly HashSet<string> _blocked = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    /// <summary>Creates the stage for one server.</summary>
    /// <param name="store">Where pins live.</param>
    /// <param name="serverIdentity">The server identity part of the pin key (its passport id, or the command line / URL).</param>
    /// <param name="strict">Refuse tools seen for the first time instead of pinning them.</param>
    /// <param name="timeProvider">Clock for the pin date.</param>
    public ToolPinStage(ToolPinStore store, string serverIdentity, bool strict = false, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(serverIdentity);
        _store = store;
        _serverIdentity = serverIdentity;
        _strict = strict;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public ValueTask<StageResult> OnClientMessageAsync(RelayExchange exchange, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        if (exchange.Message.ToolName is not { } tool)
        {
            return ValueTask.FromResult(StageResult.Continue);
        }

        bool blocked;
        lock (_gate)
        {
            blocked = _blocked.Contains(tool);
        }

        if (blocked)
        {
            return ValueTask.FromResult(StageResult.Reject(GatewayRejection.Mcps(McpsCode.ToolIntegrityFailed, "pin_mismatch", new JsonObject { ["tool"] = tool })));
        }

        if (_store.Find(_serverIdentity, tool) is null)
        {
            return ValueTask.FromResult(StageResult.Reject(GatewayRejection.Mcps(McpsCode.ToolIntegrityFailed, "unpinned_tool", new JsonObject { ["tool"] = tool })));
        }

        return ValueTask.FromResult(StageResult.Continue);
    }

    /// <inheritdoc />
    public ValueTask<StageResult> OnServerMessageAsync(RelayExchange exchange, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        var message = exchange.Message;
        if (message.Kind != MessageKind.Response || exchange.Request?.Message.Method != "tools/list"
            || message.Json["result"] is not JsonObject result || result["tools"] is not JsonArray tools)
        {
            return ValueTask.FromResult(StageResult.Continue);
        }

        var mismatches = new JsonArray();
        var unpinned = new JsonArray();
        foreach (var node in tools)
        {
            if (node is not JsonObject tool || tool["name"] is not JsonValue nameValue || !nameValue.TryGetValue<string>(out var name))
            {
                return ValueTask.FromResult(StageResult.Reject(GatewayRejection.Mcps(McpsCode.ToolIntegrityFailed, "bad_field")));
            }

            var covered = ToolDefinition.Covered(tool);
            var hash = ToolDefinition.Hash(covered);
            var pin = _store.Find(_serverIdentity, name);
            if (pin is null)
            {
                if (_strict)
                {
                    unpinned.Add(name);
                    continue;
                }

                pin = _store.AddIfAbsent(_serverIdentity, name, new ToolPin(hash, covered, _time.GetUtcNow()));
            }

            if (pin.ToolHash != hash)
            {
                lock (_gate)
                {
                    _blocked.Add(name);
                }

                var changed = new JsonArray();
                foreach (var member in ToolDefinition.ChangedMembers(pin.Definition, covered))
                {
                    changed.Add(member);
                }

                mismatches.Add(new JsonObject { ["tool"] = name, ["changed"] = changed, ["pinned_hash"] = pin.ToolHash, ["received_hash"] = hash });
            }
        }

        if (mismatches.Count > 0)
        {
            var first = (JsonObject)mismatches[0]!;
            var details = new JsonObject
            {
                ["tool"] = first["tool"]!.DeepClone(),
                ["changed"] = first["changed"]!.DeepClone(),
                ["tools"] = mismatches,
            };
            return ValueTask.FromResult(StageResult.Reject(GatewayRejection.Mcps(McpsCode.ToolIntegrityFailed, "pin_mismatch", details)));
        }

        if (unpinned.Count > 0)
        {
            return ValueTask.FromResult(StageResult.Reject(GatewayRejection.Mcps(McpsCode.ToolIntegrityFailed, "unpinned_tool", new JsonObject { ["tools"] = unpinned })));
        }

        return ValueTask.FromResult(StageResult.Continue);
    }
}
