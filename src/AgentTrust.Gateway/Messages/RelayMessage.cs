using System.Text.Json.Nodes;

namespace AgentTrust.Gateway.Messages;

/// <summary>
/// One JSON-RPC message as the relay holds it: the bytes exactly as received and the parsed object. A message
/// that no stage changed is forwarded byte for byte; a stage that changes <see cref="Json"/> calls
/// <see cref="MarkModified"/> and the message is re-serialised.
/// </summary>
public sealed class RelayMessage
{
    private byte[] _bytes;

    internal RelayMessage(byte[] bytes, JsonObject json, MessageKind kind)
    {
        _bytes = bytes;
        Json = json;
        Kind = kind;
        Method = json.TryGetPropertyValue("method", out var m) && m is JsonValue mv && mv.TryGetValue<string>(out var ms) ? ms : null;
        Id = json.TryGetPropertyValue("id", out var id) ? id : null;
        IdKey = Id is null ? null : Id.ToJsonString();
    }

    /// <summary>The parsed message. Change it only together with <see cref="MarkModified"/>.</summary>
    public JsonObject Json { get; }

    /// <summary>The message kind.</summary>
    public MessageKind Kind { get; }

    /// <summary>The method of a request or notification; null for responses and errors.</summary>
    public string? Method { get; }

    /// <summary>The id of a request, response or error (a JSON string or number); null for notifications.</summary>
    public JsonNode? Id { get; }

    /// <summary>The id as compact JSON text (<c>1</c>, <c>"a"</c>): the key that correlates a request with its answer.</summary>
    public string? IdKey { get; }

    /// <summary>True once a stage changed the message.</summary>
    public bool IsModified { get; private set; }

    /// <summary>The name of the tool of a <c>tools/call</c> request; null otherwise.</summary>
    public string? ToolName =>
        Method == "tools/call" && Json["params"] is JsonObject p && p["name"] is JsonValue v && v.TryGetValue<string>(out var name) ? name : null;

    /// <summary>Records that <see cref="Json"/> was changed, so that the forwarded bytes are regenerated.</summary>
    public void MarkModified() => IsModified = true;

    /// <summary>The bytes to send: the received bytes, or the serialised object after a change (one line, no newline).</summary>
    public ReadOnlyMemory<byte> GetBytes()
    {
        if (IsModified)
        {
            _bytes = JsonWire.Serialize(Json);
            IsModified = false;
        }

        return _bytes;
    }
}
