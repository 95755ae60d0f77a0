using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Gateway.Messages;
using Microsoft.AspNetCore.Http;

namespace AgentTrust.Gateway.Http;

/// <summary>
/// The <c>Mcp-Param-{Name}</c> headers of a <c>tools/call</c> POST (MCP 2026-07-28): a tool's <c>inputSchema</c> marks
/// properties of a primitive type (at any depth of <c>properties</c>) with <c>"x-mcp-header": "Name"</c>, and clients
/// mirror those arguments into headers for intermediaries to route on. Like <c>Mcp-Name</c>, they must say what the
/// verified body says: a header that disagrees with its argument, is malformed, is given twice or names no marked
/// property of the tool is refused, and so is a missing one on 2026-07-28 (an intermediary would route on its absence);
/// the headers sent upstream are derived from the forwarded body. The marks come from the tool's definition as this
/// gateway accepted it (<see cref="Pinning.ToolPinStage"/>); where it knows none, the headers are passed on unchecked.
/// </summary>
internal static class ParameterHeaders
{
    /// <summary>The header name prefix.</summary>
    public const string Prefix = "Mcp-Param-";

    /// <summary>The schema keyword naming a property's header.</summary>
    public const string SchemaKeyword = "x-mcp-header";

    // Longer encoded values are not sent (the client rule: omit the header), so their absence is no mismatch.
    private const int MaxValueLength = 8192;

    // How deep marks are looked for in nested object properties.
    private const int MaxDepth = 8;

    /// <summary>
    /// The marked properties of a tool definition: header name (compared without regard to case) → the path of
    /// property names to the argument. Marks that break the rules (not an HTTP token, on a property that is not a string,
    /// number, integer or boolean, or given to two properties) are left out: no header can be checked or derived for them.
    /// </summary>
    public static IReadOnlyDictionary<string, string[]> Marks(JsonObject tool)
    {
        ArgumentNullException.ThrowIfNull(tool);
        var marks = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        var repeated = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (tool["inputSchema"] is JsonObject schema)
        {
            Collect(schema, [], marks, repeated);
        }

        foreach (var name in repeated)
        {
            marks.Remove(name);
        }

        return marks;
    }

    /// <summary>
    /// True when every <c>Mcp-Param-*</c> header of a <c>tools/call</c> names a marked argument and carries its value,
    /// and (when <paramref name="required"/>, on 2026-07-28) every marked argument the body has is in a header.
    /// </summary>
    public static bool AreConsistent(IHeaderDictionary headers, RelayMessage message, IReadOnlyDictionary<string, string[]> marks, bool required)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(marks);
        var arguments = message.Json["params"] is JsonObject p ? p["arguments"] as JsonObject : null;
        foreach (var (name, values) in headers)
        {
            if (!IsParameterHeader(name))
            {
                continue;
            }

            if (values.Count != 1 || !marks.TryGetValue(name[Prefix.Length..], out var path)
                || Find(arguments, path) is not { } argument || TextOf(argument) is not { } text
                || RoutingHeaders.Decode(values[0]) is not { } claimed || !Agrees(claimed, text, argument))
            {
                return false;
            }
        }

        return !required || marks.All(mark =>
            Find(arguments, mark.Value) is not { } argument || TextOf(argument) is not { } text
            || MayBeOmitted(text, argument) || headers.ContainsKey(Prefix + mark.Key));
    }

    /// <summary>Replaces the upstream request's <c>Mcp-Param-*</c> headers with those of the forwarded body's marked arguments.</summary>
    public static void Apply(HttpRequestMessage upstream, RelayMessage forwarded, IReadOnlyDictionary<string, string[]> marks)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        ArgumentNullException.ThrowIfNull(forwarded);
        ArgumentNullException.ThrowIfNull(marks);
        foreach (var name in upstream.Headers.Select(h => h.Key).Where(IsParameterHeader).ToList())
        {
            upstream.Headers.Remove(name);
        }

        var arguments = forwarded.Json["params"] is JsonObject p ? p["arguments"] as JsonObject : null;
        foreach (var (name, path) in marks)
        {
            if (Find(arguments, path) is { } argument && TextOf(argument) is { } text && RoutingHeaders.Encode(text) is { Length: <= MaxValueLength } encoded)
            {
                upstream.Headers.TryAddWithoutValidation(Prefix + name, encoded);
            }
        }
    }

    /// <summary>True for a header name with the <c>Mcp-Param-</c> prefix.</summary>
    public static bool IsParameterHeader(string name) => name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);

    private static void Collect(JsonObject schema, string[] path, Dictionary<string, string[]> marks, HashSet<string> repeated)
    {
        if (path.Length >= MaxDepth || schema["properties"] is not JsonObject properties)
        {
            return;
        }

        foreach (var (property, node) in properties)
        {
            if (node is not JsonObject definition)
            {
                continue;
            }

            string[] here = [.. path, property];
            if (definition[SchemaKeyword] is JsonValue mark && mark.TryGetValue<string>(out var name) && IsToken(name) && IsPrimitive(definition)
                && !marks.TryAdd(name, here))
            {
                repeated.Add(name);
            }

            Collect(definition, here, marks, repeated);
        }
    }

    // The argument at a path of property names; null when any step is missing or not an object.
    private static JsonValue? Find(JsonObject? arguments, string[] path)
    {
        JsonNode? node = arguments;
        foreach (var step in path)
        {
            node = node is JsonObject o ? o[step] : null;
        }

        return node as JsonValue;
    }

    // A client omits a header whose encoded value is over the limit; for a number, whose text it may write either way,
    // the body's own text counts too.
    private static bool MayBeOmitted(string text, JsonValue argument) =>
        RoutingHeaders.Encode(text).Length > MaxValueLength
        || (argument.GetValueKind() == JsonValueKind.Number && argument.ToJsonString().Length > MaxValueLength);

    // A string as it is, a boolean as true/false, a number in plain decimal when it can be (1E+2 as 100); null otherwise.
    // (MessageParser refuses strings with lone surrogates, which .NET cannot read.)
    private static string? TextOf(JsonValue argument) => argument.GetValueKind() switch
    {
        JsonValueKind.String => argument.GetValue<string>(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Number => DecimalNumber.TryParse(argument.ToJsonString(), out var number) ? number.ToPlainString() ?? argument.ToJsonString() : argument.ToJsonString(),
        _ => null,
    };

    // A number may be written differently in the header (1e3 for 1000): exactly equal values agree (never through a
    // double, which would make 2^53 + 1 equal 2^53); words such as Infinity and NaN never do.
    private static bool Agrees(string claimed, string text, JsonValue argument) =>
        string.Equals(claimed, text, StringComparison.Ordinal)
        || (argument.GetValueKind() == JsonValueKind.Number
            && DecimalNumber.TryParse(claimed, out var a) && DecimalNumber.TryParse(argument.ToJsonString(), out var b) && a.Equals(b));

    private static bool IsPrimitive(JsonObject definition) =>
        definition["type"] is JsonValue type && type.TryGetValue<string>(out var name) && name is "string" or "number" or "integer" or "boolean";

    // RFC 9110 §5.6.2 tchar: what a header name may contain.
    private static bool IsToken(string name) =>
        name.Length > 0 && name.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9')
            or '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~');
}
