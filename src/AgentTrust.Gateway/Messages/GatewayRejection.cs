using System.Text.Json.Nodes;
using AgentTrust.Errors;

namespace AgentTrust.Gateway.Messages;

/// <summary>
/// Why the gateway refused a message: either an MCPS code with a reason from the closed set of mcps.md §13, or a
/// plain JSON-RPC error (parse error, invalid request) for messages that are not JSON-RPC at all.
/// </summary>
public sealed record GatewayRejection
{
    private GatewayRejection(int jsonRpcCode, string message, McpsCode? mcpsCode, string reason, JsonObject? details)
    {
        JsonRpcCode = jsonRpcCode;
        Message = message;
        McpsCode = mcpsCode;
        Reason = reason;
        Details = details;
    }

    /// <summary>The JSON-RPC error code sent to the peer.</summary>
    public int JsonRpcCode { get; }

    /// <summary>The error message (a fixed text, never exception text).</summary>
    public string Message { get; }

    /// <summary>The MCPS code, or null for plain JSON-RPC framing errors.</summary>
    public McpsCode? McpsCode { get; }

    /// <summary>The reason string (mcps.md §13 closed set, or <c>parse_error</c>/<c>invalid_request</c>/<c>batch</c>).</summary>
    public string Reason { get; }

    /// <summary>Extra members for <c>error.data</c> (for example what changed in a tool definition); never secrets.</summary>
    public JsonObject? Details { get; }

    /// <summary>An MCPS rejection with the code's standard message.</summary>
    public static GatewayRejection Mcps(McpsCode code, string reason, JsonObject? details = null) =>
        new(code.ToJsonRpcCode(), code.DefaultMessage(), code, reason, details);

    /// <summary>
    /// An attestation refusal as <see cref="AgentTrust.Attestation.AttestationPlacement.CreateErrorResponse"/> builds it
    /// (attestation.md §8): the −32001…−32006 code, <c>data.mcps_code</c> MCPS-020, the reason, policy and trusted issuers.
    /// </summary>
    public static GatewayRejection Attestation(AgentTrust.Attestation.AttestationReason reason, AgentTrust.Attestation.AttestationPolicyMode policy, IEnumerable<string> trustedIssuers, JsonObject? details = null)
    {
        ArgumentNullException.ThrowIfNull(trustedIssuers);
        var data = details?.DeepClone().AsObject() ?? new JsonObject();
        data["policy"] = AgentTrust.Attestation.AttestationNames.ToWireName(policy);
        data["trusted_issuers"] = new JsonArray(trustedIssuers.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray());
        return new(AgentTrust.Attestation.AttestationReasons.ToJsonRpcCode(reason), AgentTrust.Attestation.AttestationReasons.ToMessage(reason),
            Errors.McpsCode.AttestationFailed, AgentTrust.Attestation.AttestationReasons.ToWireName(reason), data);
    }

    /// <summary>JSON-RPC −32700: the input is not JSON.</summary>
    public static GatewayRejection ParseError() => new(-32700, "Parse error", null, "parse_error", null);

    /// <summary>JSON-RPC −32600: JSON, but not a JSON-RPC 2.0 message the gateway relays.</summary>
    public static GatewayRejection InvalidRequest(string reason) => new(-32600, "Invalid Request", null, reason, null);

    /// <summary>
    /// JSON-RPC −32020 (MCP 2026-07-28, SEP-2243): an HTTP routing header (<c>Mcp-Method</c>, <c>Mcp-Name</c>,
    /// <c>MCP-Protocol-Version</c>) is missing or disagrees with the body. Sent with HTTP 400.
    /// </summary>
    public static GatewayRejection HeaderMismatch() => new(-32020, "Header mismatch", null, "header_mismatch", null);

    /// <summary>JSON-RPC −32603: the gateway could not deliver the message (for example the upstream failed).</summary>
    public static GatewayRejection Internal(string reason) => new(-32603, "Internal error", null, reason, null);

    /// <summary>The <c>error</c> member: <c>{"code","message","data":{"mcps_code","reason",…}}</c> (mcps.md §13).</summary>
    public JsonObject ToErrorObject()
    {
        var data = new JsonObject();
        if (McpsCode is { } code)
        {
            data["mcps_code"] = code.ToCodeString();
        }

        data["reason"] = Reason;
        if (Details is not null)
        {
            foreach (var (key, value) in Details)
            {
                data[key] = value?.DeepClone();
            }
        }

        return new JsonObject { ["code"] = JsonRpcCode, ["message"] = Message, ["data"] = data };
    }

    /// <summary>A complete JSON-RPC error response for the given id (null id when the request could not be read).</summary>
    public JsonObject ToErrorResponse(JsonNode? id) =>
        new() { ["jsonrpc"] = "2.0", ["id"] = id?.DeepClone(), ["error"] = ToErrorObject() };
}
