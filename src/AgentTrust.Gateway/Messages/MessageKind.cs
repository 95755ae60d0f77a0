namespace AgentTrust.Gateway.Messages;

/// <summary>The four JSON-RPC 2.0 message kinds, told apart by which members are present.</summary>
public enum MessageKind
{
    /// <summary>Has <c>method</c> and <c>id</c>: expects an answer.</summary>
    Request,

    /// <summary>Has <c>method</c> and no <c>id</c>: no answer.</summary>
    Notification,

    /// <summary>Has <c>id</c> and <c>result</c>.</summary>
    Response,

    /// <summary>Has <c>id</c> and <c>error</c>.</summary>
    Error,
}
