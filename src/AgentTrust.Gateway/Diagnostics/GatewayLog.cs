using Microsoft.Extensions.Logging;

namespace AgentTrust.Gateway.Diagnostics;

/// <summary>Source-generated log messages of the gateway. Never logs message bodies, keys or secrets.</summary>
internal static partial class GatewayLog
{
    [LoggerMessage(1, LogLevel.Warning, "Refused {Kind} {Method} from the {Side}: {McpsCode} {Reason}")]
    public static partial void MessageRefused(ILogger logger, string kind, string method, string side, string mcpsCode, string reason);

    [LoggerMessage(2, LogLevel.Warning, "Unreadable input from the {Side}: {Reason}")]
    public static partial void UnreadableInput(ILogger logger, string side, string reason);

    [LoggerMessage(3, LogLevel.Error, "Stage {Stage} failed; message refused (fail closed)")]
    public static partial void StageFailed(ILogger logger, string stage, Exception exception);

    [LoggerMessage(4, LogLevel.Information, "Server process exited with code {ExitCode}")]
    public static partial void ServerExited(ILogger logger, int exitCode);

    [LoggerMessage(5, LogLevel.Warning, "Server process did not exit within {Timeout} after its input closed; killed")]
    public static partial void ServerKilled(ILogger logger, TimeSpan timeout);

    [LoggerMessage(6, LogLevel.Information, "Gateway listening on {Address}, relaying to {Upstream}")]
    public static partial void Listening(ILogger logger, string address, string upstream);

    [LoggerMessage(7, LogLevel.Warning, "Upstream request failed: {Reason}")]
    public static partial void UpstreamFailed(ILogger logger, string reason);

    [LoggerMessage(8, LogLevel.Warning, "Refused HTTP request: {Reason}")]
    public static partial void HttpRefused(ILogger logger, string reason);

    [LoggerMessage(40, LogLevel.Warning, "Forgot {Count} idle or least recently used HTTP session(s) to stay within {Capacity}")]
    public static partial void SessionsForgotten(ILogger logger, int count, int capacity);
}
