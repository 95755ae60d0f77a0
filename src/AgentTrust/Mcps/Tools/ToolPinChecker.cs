using System.Text.Json.Nodes;
using AgentTrust.Errors;

namespace AgentTrust.Mcps.Tools;

/// <summary>What to do with a tool seen for the first time.</summary>
public enum PinMode
{
    /// <summary>Trust on first use: pin and allow.</summary>
    Tofu = 0,

    /// <summary>Block until an operator approves (MCPS-008 <c>unpinned_tool</c>).</summary>
    Strict = 1,
}

/// <summary>A tool whose definition differs from its pin (blocked; the old pin is kept).</summary>
/// <param name="ToolName">The tool.</param>
/// <param name="PinnedHash">The pinned hash.</param>
/// <param name="CurrentHash">The hash of the tool as now listed.</param>
public sealed record ToolPinChange(string ToolName, string PinnedHash, string CurrentHash)
{
    /// <summary>The signer passport id of the pin (null: pinned unsigned).</summary>
    public string? PinnedSigner { get; init; }

    /// <summary>The signer passport id of the tool as now listed (null: unsigned).</summary>
    public string? CurrentSigner { get; init; }
}

/// <summary>The outcome of checking a <c>tools/list</c> against the pins.</summary>
public sealed record ToolPinReport
{
    /// <summary>Tools pinned by this check (TOFU first sight).</summary>
    public IReadOnlyList<string> Added { get; init; } = [];

    /// <summary>Tools seen for the first time under strict pinning (blocked until approved).</summary>
    public IReadOnlyList<string> Unpinned { get; init; } = [];

    /// <summary>Pinned tools no longer listed.</summary>
    public IReadOnlyList<string> Removed { get; init; } = [];

    /// <summary>Tools whose definition changed (blocked; pins kept).</summary>
    public IReadOnlyList<ToolPinChange> Changed { get; init; } = [];

    /// <summary>Tools that match their pins.</summary>
    public IReadOnlyList<string> Unchanged { get; init; } = [];

    /// <summary>Deceptive Unicode found in the listed tools (each finding names its <see cref="ToolTextFinding.Tool"/>).</summary>
    public IReadOnlyList<ToolTextFinding> Findings { get; init; } = [];

    /// <summary>Tools seen for the first time whose text is deceptive: never pinned, even under trust on first use.</summary>
    public IReadOnlyList<string> Deceptive { get; init; } = [];

    /// <summary>Tools that may be called: unchanged plus newly pinned.</summary>
    public IReadOnlyList<string> Allowed => [.. Unchanged, .. Added];

    /// <summary>True when nothing changed, nothing awaits approval and nothing deceptive was found.</summary>
    public bool IsClean => Unpinned.Count == 0 && Changed.Count == 0 && Removed.Count == 0 && Findings.Count == 0 && Deceptive.Count == 0;
}

/// <summary>
/// Checks tool definitions against pins (mcps.md §10.3): first sight pins (TOFU) or blocks (strict); a change blocks
/// the tool and keeps the old pin (never replaced silently, unlike mcps-go); a call to a tool never pinned is refused.
/// The pin value is the v2 hash and the signer: a tool pinned signed and then re-signed by another passport, or with
/// its signature stripped, is a change. A tool seen for the first time with deceptive text (<see cref="ToolTextScanner"/>) is not pinned.
/// </summary>
public sealed class ToolPinChecker
{
    private readonly IToolPinStore _store;
    private readonly PinMode _mode;
    private readonly TimeProvider _time;

    /// <summary>Creates a checker.</summary>
    public ToolPinChecker(IToolPinStore store, PinMode mode = PinMode.Tofu, TimeProvider? time = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _mode = mode;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Checks the <c>tools</c> array of a <c>tools/list</c> result, as received on the wire.</summary>
    public async ValueTask<ToolPinReport> CheckListAsync(string serverId, JsonArray tools, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(serverId);
        ArgumentNullException.ThrowIfNull(tools);
        var pins = await _store.GetAsync(serverId, cancellationToken).ConfigureAwait(false);
        var added = new List<string>();
        var unpinned = new List<string>();
        var changed = new List<ToolPinChange>();
        var unchanged = new List<string>();
        var findings = new List<ToolTextFinding>();
        var deceptive = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in tools)
        {
            if (node is not JsonObject tool || McpsJson.GetString(tool, "name") is not { } name)
            {
                continue;
            }

            seen.Add(name);
            var toolFindings = ToolTextScanner.Scan(tool);
            findings.AddRange(toolFindings.Select(f => f with { Tool = name }));
            var hash = ToolPreimage.ToolHash(tool);
            var signer = SignerOf(tool);
            if (pins.TryGetValue(name, out var pin))
            {
                Compare(pin, hash, signer, unchanged, changed);
            }
            else if (toolFindings.Count > 0)
            {
                deceptive.Add(name);
            }
            else if (_mode == PinMode.Strict)
            {
                unpinned.Add(name);
            }
            else if (await _store.TryAddAsync(new ToolPin(serverId, name, hash, signer, _time.GetUtcNow()), cancellationToken).ConfigureAwait(false))
            {
                added.Add(name);
            }
            else
            {
                // A concurrent check pinned it first: compare with that pin instead of replacing it.
                Compare((await _store.GetAsync(serverId, cancellationToken).ConfigureAwait(false))[name], hash, signer, unchanged, changed);
            }
        }

        return new ToolPinReport
        {
            Added = added,
            Unpinned = unpinned,
            Changed = changed,
            Unchanged = unchanged,
            Removed = [.. pins.Keys.Where(k => !seen.Contains(k)).Order(StringComparer.Ordinal)],
            Findings = findings,
            Deceptive = deceptive,
        };
    }

    private static void Compare(ToolPin pin, string hash, string? signer, List<string> unchanged, List<ToolPinChange> changed)
    {
        // A pin taken from a signed tool binds its signer (stripping or re-signing is a change); a pin of an unsigned
        // tool (or from a manifest, which approves hashes) accepts the same tool with a signature added.
        if (string.Equals(pin.ToolHash, hash, StringComparison.Ordinal)
            && (pin.SignerPassportId is null || string.Equals(pin.SignerPassportId, signer, StringComparison.Ordinal)))
        {
            unchanged.Add(pin.ToolName);
        }
        else
        {
            changed.Add(new ToolPinChange(pin.ToolName, pin.ToolHash, hash) { PinnedSigner = pin.SignerPassportId, CurrentSigner = signer });
        }
    }

    /// <summary>
    /// Checks a tool before a call: MCPS-008 <c>unpinned_tool</c> for a name never pinned, <c>pin_mismatch</c> when the
    /// current definition (if given) differs from the pin; null when allowed.
    /// </summary>
    public async ValueTask<McpsFailure?> CheckCallAsync(string serverId, string toolName, JsonObject? currentDefinition = null, CancellationToken cancellationToken = default)
    {
        var pins = await _store.GetAsync(serverId, cancellationToken).ConfigureAwait(false);
        if (!pins.TryGetValue(toolName, out var pin))
        {
            return new McpsFailure(McpsCode.ToolIntegrityFailed, McpsReasons.UnpinnedTool);
        }

        if (currentDefinition is not null && !string.Equals(ToolPreimage.ToolHash(currentDefinition), pin.ToolHash, StringComparison.Ordinal))
        {
            return new McpsFailure(McpsCode.ToolIntegrityFailed, McpsReasons.PinMismatch);
        }

        return null;
    }

    /// <summary>The explicit approval: pins the tool's current definition, replacing any previous pin.</summary>
    public async ValueTask<ToolPin> ApproveAsync(string serverId, JsonObject tool, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tool);
        var name = McpsJson.GetString(tool, "name") ?? throw new ArgumentException("The tool has no name.", nameof(tool));
        var pin = new ToolPin(serverId, name, ToolPreimage.ToolHash(tool), SignerOf(tool), _time.GetUtcNow());
        await _store.ApproveAsync(pin, cancellationToken).ConfigureAwait(false);
        return pin;
    }

    private static string? SignerOf(JsonObject tool) =>
        tool["_meta"] is JsonObject meta && meta[ToolSignatureProfiles.ContainerKey] is JsonObject container
            ? McpsJson.GetString(container, "passport_id")
            : null;
}
