using System.Text.Json.Nodes;
using AgentTrust.Errors;
using AgentTrust.Mcps.Envelopes;

namespace AgentTrust.Mcps.Transcript;

/// <summary>
/// The stateless generation (MCP 2026-07-28, mcps.md §11.2): every request binds itself by carrying the protocol
/// version, client info and client capabilities (with the MCPS advertisement) in its signed <c>_meta</c>; the
/// <c>server/discover</c> result is signed. These checks run on messages whose signature already verified.
/// </summary>
public static class StatelessBinding
{
    /// <summary>The protocol-version <c>_meta</c> key.</summary>
    public const string ProtocolVersionKey = "io.modelcontextprotocol/protocolVersion";

    /// <summary>The client-info <c>_meta</c> key.</summary>
    public const string ClientInfoKey = "io.modelcontextprotocol/clientInfo";

    /// <summary>The client-capabilities <c>_meta</c> key.</summary>
    public const string ClientCapabilitiesKey = "io.modelcontextprotocol/clientCapabilities";

    /// <summary>
    /// Checks a verified request (P2): the three <c>io.modelcontextprotocol/*</c> members present, the capabilities
    /// carrying the MCPS advertisement, and the protocol version equal to <paramref name="expectedProtocolVersion"/>
    /// when given. Missing members are a downgrade (MCPS-012).
    /// </summary>
    public static McpsFailure? CheckRequest(JsonObject verifiedRequest, McpsVerificationResult verification, string? expectedProtocolVersion = null)
    {
        ArgumentNullException.ThrowIfNull(verifiedRequest);
        ArgumentNullException.ThrowIfNull(verification);
        var downgrade = new McpsFailure(McpsCode.CapabilityMismatch, McpsReasons.Downgrade);
        if (!verification.IsValid || verification.Placement != EnvelopePlacement.Meta)
        {
            return downgrade;
        }

        if ((verifiedRequest["params"] as JsonObject)?["_meta"] is not JsonObject meta
            || McpsJson.GetString(meta, ProtocolVersionKey) is not { } version
            || meta[ClientInfoKey] is not JsonObject
            || meta[ClientCapabilitiesKey] is not JsonObject capabilities
            || McpsAdvertisement.Read(capabilities) is null)
        {
            return downgrade;
        }

        return expectedProtocolVersion is not null && !string.Equals(version, expectedProtocolVersion, StringComparison.Ordinal)
            ? new McpsFailure(McpsCode.CapabilityMismatch, McpsReasons.Downgrade)
            : null;
    }

    /// <summary>
    /// Checks a verified <c>server/discover</c> result: signed, bound to the request (<c>io.agenttrust/reply-to</c> equal to
    /// <paramref name="requestHash"/>), advertising MCPS, and offering a version this client supports (MCPS-015).
    /// </summary>
    public static McpsFailure? CheckDiscoverResult(JsonObject verifiedResponse, McpsVerificationResult verification, string requestHash, IEnumerable<string> clientVersions)
    {
        ArgumentNullException.ThrowIfNull(verifiedResponse);
        ArgumentNullException.ThrowIfNull(verification);
        if (!verification.IsValid || verifiedResponse["result"] is not JsonObject result)
        {
            return new McpsFailure(McpsCode.CapabilityMismatch, McpsReasons.Downgrade);
        }

        if (result["_meta"] is not JsonObject meta || McpsJson.GetString(meta, McpsEnvelopeConstants.ReplyToMetaKey) != requestHash)
        {
            return new McpsFailure(McpsCode.InvalidSignature, McpsReasons.ReplyMismatch);
        }

        if (result["capabilities"] is not JsonObject capabilities || McpsAdvertisement.Read(capabilities) is not { } advertisement)
        {
            return new McpsFailure(McpsCode.CapabilityMismatch, McpsReasons.Downgrade);
        }

        return Versions.McpsVersionNegotiation.TryNegotiate(clientVersions, advertisement.Versions, out _);
    }
}
