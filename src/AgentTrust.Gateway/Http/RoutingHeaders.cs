using System.Text;
using System.Text.Json.Nodes;
using AgentTrust.Gateway.Messages;
using Microsoft.Extensions.Primitives;

namespace AgentTrust.Gateway.Http;

/// <summary>
/// The HTTP headers that mirror the body of a client POST (MCP 2026-07-28, SEP-2243): <c>Mcp-Method</c> (the method),
/// <c>Mcp-Name</c> (<c>params.name</c> of <c>tools/call</c> and <c>prompts/get</c>, <c>params.uri</c> of
/// <c>resources/read</c>) and <c>MCP-Protocol-Version</c> (equal to <c>_meta["io.modelcontextprotocol/protocolVersion"]</c>).
/// Intermediaries route on these headers while the gateway verifies the body, so a disagreement is refused, and the
/// headers sent upstream are always derived from the forwarded body.
/// </summary>
internal static class RoutingHeaders
{
    public const string MethodHeader = "Mcp-Method";
    public const string NameHeader = "Mcp-Name";
    public const string VersionHeader = "MCP-Protocol-Version";

    // The first protocol revision without the initialize handshake; revisions are dates, so ordinal order is date order.
    private const string StatelessVersion = "2026-07-28";
    private const string VersionMetaKey = "io.modelcontextprotocol/protocolVersion";
    private const string Base64Prefix = "=?base64?";
    private const string Base64Suffix = "?=";

    /// <summary>
    /// True when the routing headers of a client message agree with its body. On 2026-07-28 (header or <c>_meta</c>)
    /// <c>Mcp-Method</c> and, for named methods, <c>Mcp-Name</c> are required; on earlier revisions they are optional
    /// but must agree when present. A header given twice never agrees. Answers (responses, errors) carry no method:
    /// their routing headers are not sent upstream, so they are not checked.
    /// </summary>
    public static bool AreConsistent(StringValues method, StringValues name, StringValues version, RelayMessage message)
    {
        if (version.Count > 1 || method.Count > 1 || name.Count > 1)
        {
            return false;
        }

        if (!TryGetMetaVersion(message, out var metaVersion))
        {
            return false;
        }

        if (version.Count == 1 && metaVersion is not null && !string.Equals(version[0], metaVersion, StringComparison.Ordinal))
        {
            return false;
        }

        if (message.Method is not { } bodyMethod)
        {
            return true;
        }

        var stateless = IsStateless(version.Count == 1 ? version[0] : null) || IsStateless(metaVersion);
        if (method.Count == 0 ? stateless : !string.Equals(Decode(method[0]), bodyMethod, StringComparison.Ordinal))
        {
            return false;
        }

        if (!IsNamed(bodyMethod))
        {
            return true;
        }

        if (name.Count == 0)
        {
            return !stateless;
        }

        return NameOf(message) is { } bodyName && string.Equals(Decode(name[0]), bodyName, StringComparison.Ordinal);
    }

    /// <summary>True when a client message is on 2026-07-28 or later (its version header or its <c>_meta</c> says so).</summary>
    public static bool IsStatelessRequest(StringValues version, RelayMessage message) =>
        (version.Count == 1 && IsStateless(version[0])) || (TryGetMetaVersion(message, out var metaVersion) && IsStateless(metaVersion));

    /// <summary>
    /// Sets <c>Mcp-Method</c> and <c>Mcp-Name</c> of an upstream request from the body actually forwarded (after the
    /// stages), and <c>MCP-Protocol-Version</c> from <c>_meta</c> when the client sent none. For methods whose name
    /// the gateway does not know, the client's <c>Mcp-Name</c> is passed on unchecked.
    /// </summary>
    public static void Apply(HttpRequestMessage upstream, RelayMessage forwarded, StringValues clientName)
    {
        upstream.Headers.Remove(MethodHeader);
        upstream.Headers.Remove(NameHeader);
        if (forwarded.Method is not { } method)
        {
            return;
        }

        upstream.Headers.TryAddWithoutValidation(MethodHeader, Encode(method));
        if (IsNamed(method))
        {
            if (NameOf(forwarded) is { } name)
            {
                upstream.Headers.TryAddWithoutValidation(NameHeader, Encode(name));
            }
        }
        else if (clientName.Count == 1)
        {
            upstream.Headers.TryAddWithoutValidation(NameHeader, clientName[0]);
        }

        if (!upstream.Headers.Contains(VersionHeader) && TryGetMetaVersion(forwarded, out var metaVersion) && metaVersion is not null)
        {
            upstream.Headers.TryAddWithoutValidation(VersionHeader, metaVersion);
        }
    }

    /// <summary>The header form of a value: as is when plain printable ASCII, otherwise <c>=?base64?…?=</c> of its UTF-8.</summary>
    public static string Encode(string value)
    {
        var plain = value.Length > 0 && value[0] != ' ' && value[^1] != ' '
            && value.All(c => c is >= (char)0x20 and <= (char)0x7E)
            && !(value.StartsWith(Base64Prefix, StringComparison.Ordinal) && value.EndsWith(Base64Suffix, StringComparison.Ordinal));
        return plain ? value : Base64Prefix + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(value)) + Base64Suffix;
    }

    /// <summary>The value a header stands for; null when its Base64 form is malformed (never equal to any body value).</summary>
    public static string? Decode(string? header)
    {
        if (header is null || !header.StartsWith(Base64Prefix, StringComparison.Ordinal) || !header.EndsWith(Base64Suffix, StringComparison.Ordinal)
            || header.Length < Base64Prefix.Length + Base64Suffix.Length)
        {
            return header;
        }

        // Only the canonical form: .NET's decoder skips white space and ignores leftover bits ("QR==" reads as "QQ=="),
        // which a strict decoder in front of the gateway would refuse, so the two would read different values.
        var encoded = header[Base64Prefix.Length..^Base64Suffix.Length];
        var bytes = new byte[encoded.Length];
        if (!Convert.TryFromBase64String(encoded, bytes, out var written) || !string.Equals(Convert.ToBase64String(bytes, 0, written), encoded, StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, 0, written);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static bool IsStateless(string? version) => version is not null && string.CompareOrdinal(version, StatelessVersion) >= 0;

    private static bool IsNamed(string method) => method is "tools/call" or "prompts/get" or "resources/read";

    private static string? NameOf(RelayMessage message)
    {
        var member = message.Method == "resources/read" ? "uri" : "name";
        return message.Json["params"] is JsonObject p && p[member] is JsonValue v && v.TryGetValue<string>(out var value) ? value : null;
    }

    // False when _meta carries the key with a value that is not a string (a body no header can agree with).
    private static bool TryGetMetaVersion(RelayMessage message, out string? version)
    {
        version = null;
        if (message.Json["params"] is not JsonObject p || p["_meta"] is not JsonObject meta || !meta.TryGetPropertyValue(VersionMetaKey, out var node))
        {
            return true;
        }

        if (node is JsonValue v && v.TryGetValue<string>(out var text))
        {
            version = text;
            return true;
        }

        return false;
    }
}
