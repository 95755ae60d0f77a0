using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Gateway.Messages;
using Microsoft.AspNetCore.Http;

namespace AgentTrust.Gateway.Http;

/// <summary>
/// The <c>Mcp-Param-{Name}</c> headers of a <c>tools/call</c> POST (MCP 2026-07-28): a tool's <c>inputSchema</c> marks
/// top-level properties of a primitive type with <c>"x-mcp-header": "Name"</c>, and clients mirror those arguments
/// into headers for intermediaries to route on. Like <c>Mcp-Name</c>, they must say what the verified body says: a
/// header that disagrees with its argument, is malformed, is given twice or names no marked property of the tool is
/// refused, and the headers sent upstream are derived from the forwarded body. A tool whose definition this gateway
/// has not accepted in a listing has no known marks: its headers are passed on unchecked.
/// </summary>
internal static class ParameterHeaders
{
    /// <summary>The header name prefix.</summary>
    public const string Prefix = "Mcp-Param-";

    /// <summary>The schema keyword naming a property's header.</summary>
    public const string SchemaKeyword = "x-mcp-header";

    // Longer encoded values are not sent (the client rule: omit the header).
    private const int MaxValueLength = 8192;

    /// <summary>
    /// The marked properties of a tool definition: header name (compared without regard to case) → property name. Marks
    /// that break the rules (not an HTTP token, on a property that is not a string, number, integer or boolean, or
    /// given to two properties) are left out: no header can be checked or derived for them.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Marks(JsonObject tool)
    {
        ArgumentNullException.ThrowIfNull(tool);
        var marks = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var repeated = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (tool["inputSchema"] is not JsonObject schema || schema["properties"] is not JsonObject properties)
        {
            return marks;
        }

        foreach (var (property, node) in properties)
        {
            if (node is JsonObject definition && definition[SchemaKeyword] is JsonValue mark && mark.TryGetValue<string>(out var name)
                && IsToken(name) && IsPrimitive(definition) && !marks.TryAdd(name, property))
            {
                repeated.Add(name);
            }
        }

        foreach (var name in repeated)
        {
            marks.Remove(name);
        }

        return marks;
    }

    /// <summary>True when every <c>Mcp-Param-*</c> header of a <c>tools/call</c> names a marked property and carries its value.</summary>
    public static bool AreConsistent(IHeaderDictionary headers, RelayMessage message, IReadOnlyDictionary<string, string> marks)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(marks);
        var arguments = message.Json["params"] is JsonObject p ? p["arguments"] as JsonObject : null;
        foreach (var (name, values) in headers)
        {
            if (!name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (values.Count != 1 || !marks.TryGetValue(name[Prefix.Length..], out var property)
                || arguments?[property] is not JsonValue argument || TextOf(argument) is not { } text
                || RoutingHeaders.Decode(values[0]) is not { } claimed || !Agrees(claimed, text, argument))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Replaces the upstream request's <c>Mcp-Param-*</c> headers with those of the forwarded body's marked arguments.</summary>
    public static void Apply(HttpRequestMessage upstream, RelayMessage forwarded, IReadOnlyDictionary<string, string> marks)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        ArgumentNullException.ThrowIfNull(forwarded);
        ArgumentNullException.ThrowIfNull(marks);
        foreach (var name in upstream.Headers.Select(h => h.Key).Where(IsParameterHeader).ToList())
        {
            upstream.Headers.Remove(name);
        }

        if (forwarded.Json["params"] is not JsonObject p || p["arguments"] is not JsonObject arguments)
        {
            return;
        }

        foreach (var (name, property) in marks)
        {
            if (arguments[property] is JsonValue argument && TextOf(argument) is { } text && RoutingHeaders.Encode(text) is { Length: <= MaxValueLength } encoded)
            {
                upstream.Headers.TryAddWithoutValidation(Prefix + name, encoded);
            }
        }
    }

    /// <summary>True for a header name with the <c>Mcp-Param-</c> prefix.</summary>
    public static bool IsParameterHeader(string name) => name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);

    // A string as it is, a boolean as true/false, a number as written in the body; null for anything else.
    private static string? TextOf(JsonValue argument) => argument.GetValueKind() switch
    {
        JsonValueKind.String => argument.GetValue<string>(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Number => argument.ToJsonString(),
        _ => null,
    };

    // A number may be written differently in the header (1e3 for 1000): equal values agree.
    private static bool Agrees(string claimed, string text, JsonValue argument) =>
        string.Equals(claimed, text, StringComparison.Ordinal)
        || (argument.GetValueKind() == JsonValueKind.Number
            && double.TryParse(claimed, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var a)
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var b)
            && a == b);

    private static bool IsPrimitive(JsonObject definition) =>
        definition["type"] is JsonValue type && type.TryGetValue<string>(out var name) && name is "string" or "number" or "integer" or "boolean";

    // RFC 9110 §5.6.2 tchar: what a header name may contain.
    private static bool IsToken(string name) =>
        name.Length > 0 && name.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9')
            or '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~');
}
