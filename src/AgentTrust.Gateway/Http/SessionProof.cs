using System.Buffers.Text;
using System.Text.Json.Nodes;
using AgentTrust.Gateway.Messages;

namespace AgentTrust.Gateway.Http;

/// <summary>
/// The proof that a <c>GET</c> (the session's stream of server messages) or <c>DELETE</c> (the session's end) comes from
/// the session's signer. Those requests carry no JSON-RPC message to sign, so the proof is one: the notification
/// <c>{"jsonrpc":"2.0","method":"notifications/io.agenttrust/http_session","params":{"http_method","session_id"}}</c>,
/// base64url (unpadded) in the <see cref="HeaderName"/> header, and run through the session's pipeline like any client
/// message: the agent side's pipeline signs it (MCPS), the server side's verifies it (signature, freshness, single use of
/// its nonce, and the session's signer, MCPS-018). So holding a session id is not enough to read or end the session.
/// </summary>
internal static class SessionProof
{
    /// <summary>The request header carrying the proof.</summary>
    public const string HeaderName = "AgentTrust-Session-Proof";

    /// <summary>The notification's method.</summary>
    public const string Method = "notifications/io.agenttrust/http_session";

    // A signed proof embeds the signer's passport: a few KiB. Bounded before decoding.
    private const int MaxHeaderChars = 32 * 1024;

    /// <summary>The unsigned proof for <paramref name="httpMethod"/> on <paramref name="sessionId"/> (what the agent side signs).</summary>
    public static byte[] Create(string httpMethod, string sessionId) => JsonWire.Serialize(new JsonObject
    {
        ["jsonrpc"] = "2.0",
        ["method"] = Method,
        ["params"] = new JsonObject { ["http_method"] = httpMethod, ["session_id"] = sessionId },
    });

    /// <summary>Decodes a header value; false when it is too long or not base64url.</summary>
    public static bool TryDecode(string header, out byte[] proof)
    {
        proof = [];
        if (header.Length > MaxHeaderChars)
        {
            return false;
        }

        var buffer = new byte[Base64Url.GetMaxDecodedLength(header.Length)];
        if (!Base64Url.TryDecodeFromChars(header, buffer, out var written))
        {
            return false;
        }

        proof = buffer[..written];
        return true;
    }

    /// <summary>The header value for a proof.</summary>
    public static string Encode(ReadOnlySpan<byte> proof) => Base64Url.EncodeToString(proof);

    /// <summary>True when <paramref name="message"/> is a notification that is the proof for this method and session.</summary>
    public static bool Names(ReadOnlySpan<byte> message, string httpMethod, string sessionId)
    {
        try
        {
            return JsonNode.Parse(message, documentOptions: new System.Text.Json.JsonDocumentOptions { AllowDuplicateProperties = false }) is JsonObject proof
                && !proof.ContainsKey("id")
                && proof["method"] is JsonValue method && method.TryGetValue<string>(out var m) && m == Method
                && proof["params"] is JsonObject parameters
                && parameters["http_method"] is JsonValue verb && verb.TryGetValue<string>(out var v) && v == httpMethod
                && parameters["session_id"] is JsonValue session && session.TryGetValue<string>(out var s) && s == sessionId;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }
}
