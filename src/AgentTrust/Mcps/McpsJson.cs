using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Errors;
using AgentTrust.Json;

namespace AgentTrust.Mcps;

/// <summary>Strict parsing, canonicalisation and hashing shared by every MCPS signer and verifier.</summary>
internal static class McpsJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    /// <summary>
    /// Validates <paramref name="utf8"/> with the strict canonicaliser (bounds first, then UTF-8, duplicates, surrogates,
    /// numbers) and parses it into a mutable object. Never throws on bad input.
    /// </summary>
    public static bool TryParseObject(ReadOnlySpan<byte> utf8, CanonicalJsonOptions options, out JsonObject? value, out McpsFailure? failure)
    {
        value = null;
        if (!TryParseNode(utf8, options, out var node, out failure))
        {
            return false;
        }

        if (node is not JsonObject obj)
        {
            failure = new McpsFailure(McpsCode.InvalidSignature, McpsReasons.BadField);
            return false;
        }

        value = obj;
        return true;
    }

    /// <summary>As <see cref="TryParseObject"/> for any JSON value.</summary>
    public static bool TryParseNode(ReadOnlySpan<byte> utf8, CanonicalJsonOptions options, out JsonNode? value, out McpsFailure? failure)
    {
        value = null;
        failure = null;
        if (utf8.Length > options.MaxInputBytes)
        {
            failure = new McpsFailure(McpsCode.InputLimitExceeded, McpsReasons.TooLarge);
            return false;
        }

        if (!JsonCanonicalizer.TryValidate(utf8, options, out var error))
        {
            failure = FromCanonicalError(error);
            return false;
        }

        try
        {
            value = JsonNode.Parse(utf8, new JsonNodeOptions { PropertyNameCaseInsensitive = false },
                new JsonDocumentOptions { MaxDepth = options.MaxDepth + 1, AllowDuplicateProperties = false });
            return true;
        }
        catch (JsonException)
        {
            failure = new McpsFailure(McpsCode.NonCanonicalInput, "invalid_json");
            return false;
        }
    }

    /// <summary>Maps a canonicaliser error to an MCPS failure (its code and reason pass through).</summary>
    public static McpsFailure FromCanonicalError(CanonicalJsonError? error) =>
        error is null ? new McpsFailure(McpsCode.NonCanonicalInput, "invalid_json") : new McpsFailure(error.Code, error.Reason);

    /// <summary>RFC 8785 bytes of a node under the given profile.</summary>
    public static byte[] Canonicalize(JsonNode? node, CanonicalJsonOptions options) => JsonCanonicalizer.Canonicalize(node, options);

    /// <summary>Lowercase hex SHA-256.</summary>
    public static string Sha256Hex(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(data, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>Compact UTF-8 serialisation of a node (number literals kept as written).</summary>
    public static byte[] Serialize(JsonNode node)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            node.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The member's string value, or null when absent or not a string.</summary>
    public static string? GetString(JsonObject obj, string name) =>
        obj.TryGetPropertyValue(name, out var node) && node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>True when the member exists and is a JSON string.</summary>
    public static bool IsString(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String;
}
