using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using AgentTrust.Errors;
using AgentTrust.Mcps.Envelopes;

namespace AgentTrust.Mcps.Transcript;

/// <summary>
/// The downgrade rule of both generations (mcps.md §11.2): a peer configured to require MCPS from the other side,
/// or that once verified a signed advertisement with <c>"required": true</c> from that identity, treats an unsigned or
/// capability-less answer as an attack (MCPS-012 <c>downgrade</c>), never as plain MCP.
/// </summary>
public sealed class DowngradeGuard
{
    private readonly ConcurrentDictionary<string, bool> _requiring = new(StringComparer.Ordinal);

    /// <summary>Creates a guard; <paramref name="alwaysRequire"/> lists identities configured to require MCPS.</summary>
    public DowngradeGuard(IEnumerable<string>? alwaysRequire = null)
    {
        foreach (var identity in alwaysRequire ?? [])
        {
            _requiring[identity] = true;
        }
    }

    /// <summary>Remembers a verified signed advertisement (<c>capabilities.extensions["io.agenttrust/mcps"]</c>).</summary>
    /// <param name="identity">The peer identity (passport id or endpoint).</param>
    /// <param name="verifiedCapabilities">The <c>capabilities</c> object of a message whose signature verified.</param>
    public void RecordVerifiedAdvertisement(string identity, JsonObject verifiedCapabilities)
    {
        ArgumentNullException.ThrowIfNull(verifiedCapabilities);
        if (McpsAdvertisement.Read(verifiedCapabilities) is { Required: true })
        {
            _requiring[identity] = true;
        }
    }

    /// <summary>True when <paramref name="identity"/> must sign.</summary>
    public bool IsRequired(string identity) => _requiring.ContainsKey(identity);

    /// <summary>
    /// Checks an answer from <paramref name="identity"/>: when MCPS is required, an unsigned answer or one whose
    /// capabilities lack the advertisement is MCPS-012 <c>downgrade</c>.
    /// </summary>
    public McpsFailure? Check(string identity, McpsVerificationResult verification, JsonObject? capabilities)
    {
        ArgumentNullException.ThrowIfNull(verification);
        if (!IsRequired(identity))
        {
            return null;
        }

        if (!verification.IsValid || (capabilities is not null && McpsAdvertisement.Read(capabilities) is null))
        {
            return new McpsFailure(McpsCode.CapabilityMismatch, McpsReasons.Downgrade);
        }

        return null;
    }
}
