using System.Text.Json.Nodes;
using AgentTrust.Errors;
using AgentTrust.Gateway.Messages;
using AgentTrust.Gateway.Pipeline;
using AgentTrust.Mcps;
using AgentTrust.Mcps.Tools;

namespace AgentTrust.Gateway.Pinning;

/// <summary>
/// Pins every tool in <c>tools/list</c> results with the mcps <see cref="ToolPinChecker"/> (first sight: trust on
/// first use, or refuse under strict pinning) and refuses a changed definition with MCPS-008 <c>pin_mismatch</c>,
/// naming the members that changed and both hashes. A <c>tools/call</c> for a tool whose definition changed, or that
/// was never listed, is refused before it reaches the server (<c>pin_mismatch</c> / <c>unpinned_tool</c>). The old pin
/// is kept: the server cannot replace it.
/// </summary>
public sealed class ToolPinStage : IRelayStage
{
    private readonly ToolPinChecker _checker;
    private readonly ToolDefinitionArchive _archive;
    private readonly string _serverIdentity;
    private readonly HashSet<string> _blocked = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    /// <summary>Creates the stage for one server.</summary>
    /// <param name="store">Where pins live (mcps <see cref="FileToolPinStore"/> or <see cref="InMemoryToolPinStore"/>).</param>
    /// <param name="serverIdentity">The server identity part of the pin key (its passport id, or the command line / URL).</param>
    /// <param name="mode">Trust on first use, or strict.</param>
    /// <param name="pinFile">The pin file path, to keep the pinned definitions beside it; null keeps them in memory.</param>
    /// <param name="timeProvider">Clock for the pin date.</param>
    public ToolPinStage(IToolPinStore store, string serverIdentity, PinMode mode = PinMode.Tofu, string? pinFile = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(serverIdentity);
        _checker = new ToolPinChecker(store, mode, timeProvider);
        _archive = pinFile is null ? ToolDefinitionArchive.InMemory() : ToolDefinitionArchive.ForPinFile(pinFile);
        _serverIdentity = serverIdentity;
    }

    /// <inheritdoc />
    public async ValueTask<StageResult> OnClientMessageAsync(RelayExchange exchange, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        if (exchange.Message.ToolName is not { } tool)
        {
            return StageResult.Continue;
        }

        bool blocked;
        lock (_gate)
        {
            blocked = _blocked.Contains(tool);
        }

        if (blocked)
        {
            return StageResult.Reject(GatewayRejection.Mcps(McpsCode.ToolIntegrityFailed, McpsReasons.PinMismatch, new JsonObject { ["tool"] = tool }));
        }

        if (await _checker.CheckCallAsync(_serverIdentity, tool, null, cancellationToken).ConfigureAwait(false) is { } failure)
        {
            return StageResult.Reject(GatewayRejection.Mcps(failure.Code, failure.Reason, new JsonObject { ["tool"] = tool }));
        }

        return StageResult.Continue;
    }

    /// <inheritdoc />
    public async ValueTask<StageResult> OnServerMessageAsync(RelayExchange exchange, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        var message = exchange.Message;
        if (message.Kind != MessageKind.Response || exchange.Request?.Message.Method != "tools/list"
            || message.Json["result"] is not JsonObject result || result["tools"] is not JsonArray tools)
        {
            return StageResult.Continue;
        }

        var report = await _checker.CheckListAsync(_serverIdentity, tools, cancellationToken).ConfigureAwait(false);
        var byName = tools.OfType<JsonObject>().Where(t => t["name"] is JsonValue).GroupBy(t => t["name"]!.ToString()).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        foreach (var added in report.Added)
        {
            _archive.Record(_serverIdentity, added, ToolDefinition.Covered(byName[added]));
        }

        if (report.Changed.Count > 0)
        {
            var mismatches = new JsonArray();
            foreach (var change in report.Changed)
            {
                lock (_gate)
                {
                    _blocked.Add(change.ToolName);
                }

                var entry = new JsonObject { ["tool"] = change.ToolName, ["pinned_hash"] = change.PinnedHash, ["received_hash"] = change.CurrentHash };
                if (_archive.Find(_serverIdentity, change.ToolName) is { } pinned)
                {
                    entry["changed"] = new JsonArray([.. ToolDefinition.ChangedMembers(pinned, ToolDefinition.Covered(byName[change.ToolName])).Select(m => (JsonNode?)m)]);
                }

                mismatches.Add(entry);
            }

            var first = (JsonObject)mismatches[0]!;
            var details = new JsonObject { ["tool"] = first["tool"]!.DeepClone(), ["tools"] = mismatches };
            if (first["changed"] is { } changed)
            {
                details["changed"] = changed.DeepClone();
            }

            return StageResult.Reject(GatewayRejection.Mcps(McpsCode.ToolIntegrityFailed, McpsReasons.PinMismatch, details));
        }

        if (report.Unpinned.Count > 0)
        {
            return StageResult.Reject(GatewayRejection.Mcps(McpsCode.ToolIntegrityFailed, McpsReasons.UnpinnedTool,
                new JsonObject { ["tools"] = new JsonArray([.. report.Unpinned.Select(n => (JsonNode?)n)]) }));
        }

        return StageResult.Continue;
    }
}
