using System.Text.Json.Nodes;
using AgentTrust.Errors;
using AgentTrust.Gateway.Http;
using AgentTrust.Gateway.Identity;
using AgentTrust.Gateway.Messages;
using AgentTrust.Gateway.Pipeline;
using AgentTrust.Mcps;
using AgentTrust.Mcps.Passports;
using AgentTrust.Mcps.Tools;

namespace AgentTrust.Gateway.Pinning;

/// <summary>
/// Pins every tool in <c>tools/list</c> results (mcps.md §10.3) with the mcps <see cref="ToolPinChecker"/> and refuses,
/// with MCPS-008 and the offending tools in <c>data.tools</c>:
/// <list type="bullet">
/// <item>a signed tool whose signature (§10.2, either profile) does not verify against its signer's passport
/// (<c>tool_signature_mismatch</c>; MCPS-011 for an author-origin mismatch; MCPS-001/007 when the signer cannot be
/// found);</item>
/// <item>a changed definition or signer (<c>pin_mismatch</c>, naming the changed members, the field-level differences
/// and both hashes; the old pin is kept: the server cannot replace it);</item>
/// <item>deceptive text in a tool's name, title, description or schema: homoglyphs, mixed scripts, invisible and bidi
/// controls (<c>deceptive_text</c>, naming each finding; such a tool is never pinned);</item>
/// <item>tools seen for the first time under strict pinning (<c>unpinned_tool</c>).</item>
/// </list>
/// A refused tool cannot be called for the rest of the session. Pinned tools missing from a complete listing are
/// reported in <c>result._meta["io.agenttrust/tool-pins"].removed</c>; a later <c>tools/call</c> for one of them, or for a
/// tool never listed and pinned, is refused before it reaches the server (<c>tool_removed</c> / <c>unpinned_tool</c>).
/// </summary>
public sealed class ToolPinStage : IRelayStage
{
    /// <summary>The <c>result._meta</c> member of a <c>tools/list</c> result that reports pinned tools no longer listed.</summary>
    public const string ReportMetaKey = "io.agenttrust/tool-pins";

    private readonly IToolPinStore _store;
    private readonly ToolPinChecker _checker;
    private readonly ToolDefinitionArchive _archive;
    private readonly ToolSignatureCheck _signatures;
    private readonly string _serverIdentity;
    private readonly Dictionary<string, string> _blocked = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyDictionary<string, string[]>?> _parameterMarks = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private const string ListingKey = "agenttrust.pins.listing";
    private const string ListedKey = "agenttrust.pins.listed";

    // What the session's last complete listing said: its tools, and the pinned tools it no longer had. Kept per session
    // (one stdio connection, one Mcp-Session-Id), because an HTTP gateway shares its stages across sessions and a server
    // may list different tools to different clients. Blocked tools (a definition refused at listing) stay process-wide
    // until a later listing shows that tool matching its pin again (an approval).
    private sealed record SessionListing(HashSet<string> Listed, HashSet<string> Removed);

    /// <summary>Creates the stage for one server.</summary>
    /// <param name="store">Where pins live (mcps <see cref="FileToolPinStore"/> or <see cref="InMemoryToolPinStore"/>).</param>
    /// <param name="serverIdentity">The server identity part of the pin key (its passport id, or the command line / URL).</param>
    /// <param name="mode">Trust on first use, or strict.</param>
    /// <param name="pinFile">The pin file path, to keep the pinned definitions beside it; null keeps them in memory.</param>
    /// <param name="timeProvider">Clock for the pin date and passport validity.</param>
    /// <param name="trust">Where the passports of tool signers are found, the anchors they chain to and their status; without it a signed tool is refused.</param>
    /// <param name="statusPolicy">How the revocation status of a tool signer's passport is required (the gateway's failure policy).</param>
    public ToolPinStage(IToolPinStore store, string serverIdentity, PinMode mode = PinMode.Tofu, string? pinFile = null, TimeProvider? timeProvider = null,
        TrustSources? trust = null, StatusPolicy statusPolicy = StatusPolicy.Required)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(serverIdentity);
        var time = timeProvider ?? TimeProvider.System;
        _store = store;
        _checker = new ToolPinChecker(store, mode, time);
        _archive = pinFile is null ? ToolDefinitionArchive.InMemory() : ToolDefinitionArchive.ForPinFile(pinFile);
        _signatures = new ToolSignatureCheck(trust?.Anchors ?? PassportTrustStore.Empty, trust?.Resolver, trust?.Status, statusPolicy, time);
        _serverIdentity = serverIdentity;
    }

    /// <summary>
    /// The <c>x-mcp-header</c> marks (header name → path of the argument) of a tool: as this gateway last accepted it in
    /// a listing, else (after a restart, or when another process sharing the pin file listed it) as kept beside the pin
    /// file when that definition is exactly the pinned one. Null when neither is known (then its <c>Mcp-Param-*</c>
    /// headers cannot be checked) or the tool is blocked.
    /// </summary>
    internal async ValueTask<IReadOnlyDictionary<string, string[]>?> ParameterMarksAsync(string tool, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_parameterMarks.TryGetValue(tool, out var known) || _blocked.ContainsKey(tool))
            {
                return known;
            }
        }

        // Only pinned tools are looked up and remembered: a name comes from the client, and unpinned calls are refused
        // anyway. Looked up once (a miss reads the archive file): the answer, unknown included, is kept until a listing
        // replaces it, so the cache is bounded by the pins.
        if (!(await _store.GetAsync(_serverIdentity, cancellationToken).ConfigureAwait(false)).TryGetValue(tool, out var pin))
        {
            return null;
        }

        IReadOnlyDictionary<string, string[]>? marks = null;
        if (_archive.Find(_serverIdentity, tool) is { } archived && string.Equals(ToolPreimage.ToolHash(archived), pin.ToolHash, StringComparison.Ordinal))
        {
            marks = ParameterHeaders.Marks(archived);
        }

        lock (_gate)
        {
            return _parameterMarks.TryAdd(tool, marks) ? marks : _parameterMarks[tool];
        }
    }

    /// <inheritdoc />
    public async ValueTask<StageResult> OnClientMessageAsync(RelayExchange exchange, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        if (exchange.Message.ToolName is not { } tool)
        {
            return StageResult.Continue;
        }

        string? refusal;
        var listing = exchange.Session.TryGetValue(ListedKey, out var held) ? held as SessionListing : null;
        lock (_gate)
        {
            refusal = _blocked.TryGetValue(tool, out var reason) ? reason
                : listing is not null && !listing.Listed.Contains(tool) ? (listing.Removed.Contains(tool) ? McpsReasons.ToolRemoved : McpsReasons.UnpinnedTool)
                : null;
        }

        if (refusal is not null)
        {
            return StageResult.Reject(GatewayRejection.Mcps(McpsCode.ToolIntegrityFailed, refusal, new JsonObject { ["tool"] = tool }));
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

        var byName = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var node in tools)
        {
            if (node is JsonObject t && t["name"] is JsonValue v && v.TryGetValue<string>(out var n) && !byName.TryAdd(n, t))
            {
                // Two definitions under one name: which one a client uses is up to the client, so neither can be pinned.
                return StageResult.Reject(GatewayRejection.Mcps(McpsCode.ToolIntegrityFailed, McpsReasons.PinMismatch,
                    new JsonObject { ["tool"] = n, ["tools"] = new JsonArray(new JsonObject { ["tool"] = n, ["reason"] = "duplicate_name" }) }));
            }
        }

        // Signatures first: a tool whose signature fails is neither pinned nor compared with its pin.
        var problems = new List<(int Rank, McpsFailure Failure, JsonObject Entry)>();
        var signatureFailures = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tool) in byName)
        {
            if (ToolSignatureCheck.IsSigned(tool) && await _signatures.CheckAsync(tool, cancellationToken).ConfigureAwait(false) is { } failure)
            {
                signatureFailures.Add(name);
                problems.Add((0, failure, Entry(name, failure)));
            }
        }

        var checkedTools = signatureFailures.Count == 0 ? tools
            : new JsonArray([.. byName.Where(t => !signatureFailures.Contains(t.Key)).Select(t => t.Value.DeepClone())]);
        var report = await _checker.CheckListAsync(_serverIdentity, checkedTools, cancellationToken).ConfigureAwait(false);
        foreach (var added in report.Added)
        {
            _archive.Record(_serverIdentity, added, ToolDefinition.Covered(byName[added]));
        }

        foreach (var change in report.Changed)
        {
            var failure = new McpsFailure(McpsCode.ToolIntegrityFailed, McpsReasons.PinMismatch);
            var entry = Entry(change.ToolName, failure);
            entry["pinned_hash"] = change.PinnedHash;
            entry["received_hash"] = change.CurrentHash;
            if (!string.Equals(change.PinnedSigner, change.CurrentSigner, StringComparison.Ordinal))
            {
                entry["pinned_signer"] = change.PinnedSigner;
                entry["received_signer"] = change.CurrentSigner;
            }

            if (_archive.Find(_serverIdentity, change.ToolName) is { } pinned)
            {
                var received = ToolDefinition.Covered(byName[change.ToolName]);
                entry["changed"] = new JsonArray([.. ToolDefinition.ChangedMembers(pinned, received).Select(m => (JsonNode?)m)]);
                entry["differences"] = ToolDefinition.Differences(pinned, received);
            }

            problems.Add((1, failure, entry));
        }

        foreach (var group in report.Findings.Where(f => f.Tool is not null).GroupBy(f => f.Tool!, StringComparer.Ordinal))
        {
            var failure = new McpsFailure(McpsCode.ToolIntegrityFailed, McpsReasons.DeceptiveText);
            var entry = Entry(group.Key, failure);
            entry["findings"] = new JsonArray([.. group.Select(f => (JsonNode?)Finding(f))]);
            problems.Add((2, failure, entry));
        }

        foreach (var name in report.Unpinned)
        {
            var failure = new McpsFailure(McpsCode.ToolIntegrityFailed, McpsReasons.UnpinnedTool);
            problems.Add((3, failure, Entry(name, failure)));
        }

        var removed = await TrackListingAsync(exchange, result, byName.Keys, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            var refused = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (_, failure, entry) in problems)
            {
                var tool = entry["tool"]!.GetValue<string>();
                refused.Add(tool);
                _parameterMarks.Remove(tool);
                if (failure.Reason != McpsReasons.UnpinnedTool && !_blocked.ContainsKey(tool))
                {
                    _blocked[tool] = failure.Reason;
                }
            }

            // A tool listed again and matching its pin (after `agenttrust tool pin --approve`, say) is callable again.
            foreach (var name in byName.Keys)
            {
                if (!refused.Contains(name))
                {
                    _blocked.Remove(name);
                    _parameterMarks[name] = ParameterHeaders.Marks(byName[name]);
                }
            }
        }

        if (problems.Count > 0)
        {
            var ordered = problems.OrderBy(p => p.Rank).ToList();
            var first = ordered[0];
            var details = new JsonObject
            {
                ["tool"] = first.Entry["tool"]!.DeepClone(),
                ["tools"] = new JsonArray([.. ordered.Select(p => (JsonNode?)p.Entry)]),
            };
            if (first.Entry["changed"] is { } changed)
            {
                details["changed"] = changed.DeepClone();
            }

            if (removed.Count > 0)
            {
                details["removed"] = Names(removed);
            }

            return StageResult.Reject(GatewayRejection.Mcps(first.Failure.Code, first.Failure.Reason, details));
        }

        if (removed.Count > 0)
        {
            if (result["_meta"] is not JsonObject meta)
            {
                meta = [];
                result["_meta"] = meta;
            }

            meta[ReportMetaKey] = new JsonObject { ["removed"] = Names(removed) };
            message.MarkModified();
        }

        return StageResult.Continue;
    }

    // A listing may come in pages (params.cursor / result.nextCursor): names are gathered, per session, from the first
    // page (no cursor) to the last (no nextCursor); only a complete listing says which pinned tools are gone.
    private async ValueTask<IReadOnlyList<string>> TrackListingAsync(RelayExchange exchange, JsonObject result, IEnumerable<string> names, CancellationToken cancellationToken)
    {
        var firstPage = exchange.Request!.Message.Json["params"]?["cursor"] is null;
        var lastPage = result["nextCursor"] is null;
        HashSet<string>? complete = null;
        lock (_gate)
        {
            if (firstPage)
            {
                exchange.Session[ListingKey] = new HashSet<string>(StringComparer.Ordinal);
            }

            if (!exchange.Session.TryGetValue(ListingKey, out var value) || value is not HashSet<string> listing)
            {
                return [];
            }

            listing.UnionWith(names);
            if (lastPage)
            {
                complete = listing;
                exchange.Session.Remove(ListingKey);
            }
        }

        if (complete is null)
        {
            return [];
        }

        var pins = await _store.GetAsync(_serverIdentity, cancellationToken).ConfigureAwait(false);
        var removed = pins.Keys.Where(k => !complete.Contains(k)).Order(StringComparer.Ordinal).ToList();
        exchange.Session[ListedKey] = new SessionListing(complete, new HashSet<string>(removed, StringComparer.Ordinal));
        return removed;
    }

    private static JsonObject Entry(string tool, McpsFailure failure) => new()
    {
        ["tool"] = tool,
        ["mcps_code"] = failure.Code.ToCodeString(),
        ["reason"] = failure.Reason,
    };

    private static JsonObject Finding(ToolTextFinding finding)
    {
        var json = new JsonObject
        {
            ["field"] = finding.Field,
            ["kind"] = finding.Kind.ToString(),
            ["index"] = finding.Index,
        };
        if (finding.CodePoint.Length > 0)
        {
            json["code_point"] = finding.CodePoint;
        }

        if (finding.LooksLike is not null)
        {
            json["looks_like"] = finding.LooksLike;
        }

        return json;
    }

    private static JsonArray Names(IEnumerable<string> names) => new([.. names.Select(n => (JsonNode?)n)]);
}
