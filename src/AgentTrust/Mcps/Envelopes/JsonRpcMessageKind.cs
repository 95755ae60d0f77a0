using System.Text.Json.Nodes;

namespace AgentTrust.Mcps.Envelopes;

/// <summary>The four JSON-RPC message kinds that carry an envelope.</summary>
public enum JsonRpcMessageKind
{
    /// <summary>Not a recognisable JSON-RPC message.</summary>
    Unknown = 0,

    /// <summary>A request (<c>method</c> and <c>id</c>).</summary>
    Request,

    /// <summary>A notification (<c>method</c>, no <c>id</c>).</summary>
    Notification,

    /// <summary>A successful response (<c>result</c>).</summary>
    Result,

    /// <summary>An error response (<c>error</c>).</summary>
    Error,
}

/// <summary>Classifies messages and names the P2 container parent of each kind.</summary>
public static class JsonRpcMessageKinds
{
    /// <summary>The kind of <paramref name="message"/>.</summary>
    public static JsonRpcMessageKind Classify(JsonObject message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.ContainsKey("method"))
        {
            return message.ContainsKey("id") ? JsonRpcMessageKind.Request : JsonRpcMessageKind.Notification;
        }

        if (message.ContainsKey("result"))
        {
            return JsonRpcMessageKind.Result;
        }

        return message.ContainsKey("error") ? JsonRpcMessageKind.Error : JsonRpcMessageKind.Unknown;
    }
}
