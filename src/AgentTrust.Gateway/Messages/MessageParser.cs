using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Errors;

namespace AgentTrust.Gateway.Messages;

/// <summary>
/// Turns one framed input (a stdio line, an HTTP body, an SSE event) into a <see cref="RelayMessage"/>, checking the
/// size bound before parsing and the depth bound while parsing. Batches and non-JSON-RPC input come back as the
/// rejection the peer must be answered with; nothing is dropped silently.
/// </summary>
public static class MessageParser
{
    // Only escapes can spell a surrogate (the reader refuses invalid UTF-8), so input without "\u" is skipped at once.
    private static bool HasLoneSurrogate(byte[] input, MessageLimits limits)
    {
        if (input.AsSpan().IndexOf("\\u"u8) < 0)
        {
            return false;
        }

        var reader = new Utf8JsonReader(input, new JsonReaderOptions { MaxDepth = limits.MaxDepth });
        try
        {
            while (reader.Read())
            {
                // Only strings with a \u escape are decoded (System.Text.Json escapes <, >, & and non-ASCII this way).
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped
                    && reader.ValueSpan.IndexOf("\\u"u8) >= 0)
                {
                    _ = reader.GetString();
                }
            }
        }
        catch (InvalidOperationException)
        {
            return true;
        }
        catch (JsonException)
        {
            return false; // Not JSON at all: the parse below says so.
        }

        return false;
    }

    /// <summary>Parses one message. Never throws on bad input.</summary>
    public static ParseOutcome Parse(byte[] input, MessageLimits limits)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(limits);
        if (input.Length > limits.MaxMessageBytes)
        {
            return ParseOutcome.Failure(GatewayRejection.Mcps(McpsCode.InputLimitExceeded, "too_large"));
        }

        // A raw CR can only be insignificant whitespace in valid JSON, but line readers downstream (Python's universal
        // newlines, Node's readline) split on it: the gateway would verify one message while the server reads several,
        // one of them unchecked. Refused, never forwarded.
        if (input.AsSpan().Contains((byte)'\r'))
        {
            return ParseOutcome.Failure(GatewayRejection.InvalidRequest("carriage_return"));
        }

        var first = FirstSignificantByte(input);
        if (first == (byte)'{' && HasLoneSurrogate(input, limits))
        {
            // Valid JSON grammar, but no text: it cannot be canonicalised, so not signed or verified (mcps.md §2), and
            // .NET throws when such a string is read. Refused before anything reads it.
            return ParseOutcome.Failure(GatewayRejection.InvalidRequest("lone_surrogate"));
        }

        if (first == (byte)'[')
        {
            // JSON-RPC batches were removed from MCP after 2025-03-26; the SDKs drop them silently, leaving the
            // client waiting. The gateway answers instead.
            return ParseOutcome.Failure(GatewayRejection.InvalidRequest("batch"));
        }

        if (first != (byte)'{')
        {
            return ParseOutcome.Failure(first == 0 ? GatewayRejection.InvalidRequest("empty") : GatewayRejection.ParseError());
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(input, nodeOptions: null, new JsonDocumentOptions { MaxDepth = limits.MaxDepth, AllowDuplicateProperties = false });
        }
        catch (JsonException)
        {
            return ParseOutcome.Failure(Classify(input, limits));
        }

        if (node is not JsonObject json)
        {
            return ParseOutcome.Failure(GatewayRejection.InvalidRequest("not_an_object"));
        }

        if (!(json["jsonrpc"] is JsonValue version && version.TryGetValue<string>(out var v) && v == "2.0"))
        {
            return ParseOutcome.Failure(GatewayRejection.InvalidRequest("not_jsonrpc"));
        }

        var hasId = json.TryGetPropertyValue("id", out var id);
        if (hasId && !IsValidId(id))
        {
            return ParseOutcome.Failure(GatewayRejection.InvalidRequest("bad_id"));
        }

        if (json.TryGetPropertyValue("method", out var method))
        {
            if (!(method is JsonValue mv && mv.TryGetValue<string>(out _)))
            {
                return ParseOutcome.Failure(GatewayRejection.InvalidRequest("bad_method"));
            }

            return ParseOutcome.Success(new RelayMessage(input, json, hasId ? MessageKind.Request : MessageKind.Notification));
        }

        var hasResult = json.ContainsKey("result");
        var hasError = json.ContainsKey("error");
        if (!hasId || hasResult == hasError)
        {
            return ParseOutcome.Failure(GatewayRejection.InvalidRequest("not_jsonrpc"));
        }

        if (hasError && json["error"] is not JsonObject)
        {
            return ParseOutcome.Failure(GatewayRejection.InvalidRequest("bad_error"));
        }

        return ParseOutcome.Success(new RelayMessage(input, json, hasResult ? MessageKind.Response : MessageKind.Error));
    }

    /// <summary>
    /// Best effort: the top-level <c>id</c> of an input that failed to parse, so the error can still be correlated.
    /// Null when there is none, when it is not a string or number, when it appears twice, or when the input is not JSON.
    /// </summary>
    internal static JsonNode? TryExtractId(byte[] input)
    {
        JsonNode? id = null;
        try
        {
            var reader = new Utf8JsonReader(input, new JsonReaderOptions { MaxDepth = 100_000 });
            var seen = false;
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isId = reader.ValueTextEquals("id"u8);
                reader.Read();
                if (isId)
                {
                    if (seen)
                    {
                        return null;
                    }

                    seen = true;
                    id = reader.TokenType switch
                    {
                        JsonTokenType.String => JsonValue.Create(reader.GetString()),
                        JsonTokenType.Number => JsonNode.Parse(reader.ValueSpan),
                        _ => null,
                    };
                }

                reader.Skip();
            }

            return id;
        }
        catch (JsonException)
        {
            // Truncated or malformed after the id: a duplicate id would have returned already, so the id read so far
            // is the only one.
            return id;
        }
    }

    private static bool IsValidId(JsonNode? id) =>
        id is JsonValue value && (value.GetValueKind() is JsonValueKind.String or JsonValueKind.Number);

    private static byte FirstSignificantByte(byte[] input)
    {
        foreach (var b in input)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return b;
            }
        }

        return 0;
    }

    // Only on the failure path: tell "too deep" and "duplicate member" apart from "not JSON".
    private static GatewayRejection Classify(byte[] input, MessageLimits limits)
    {
        try
        {
            var reader = new Utf8JsonReader(input, new JsonReaderOptions { MaxDepth = 100_000 });
            var tooDeep = false;
            while (reader.Read())
            {
                if (reader.CurrentDepth >= limits.MaxDepth)
                {
                    tooDeep = true;
                }
            }

            if (tooDeep)
            {
                return GatewayRejection.Mcps(McpsCode.InputLimitExceeded, "too_deep");
            }

            return GatewayRejection.Mcps(McpsCode.NonCanonicalInput, "duplicate_member");
        }
        catch (JsonException)
        {
            return GatewayRejection.ParseError();
        }
    }
}
