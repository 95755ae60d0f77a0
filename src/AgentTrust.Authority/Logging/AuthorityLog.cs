using Microsoft.Extensions.Logging;

namespace AgentTrust.Authority.Logging;

/// <summary>The server's log messages. Never a token, key or passport body.</summary>
internal static partial class AuthorityLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Trust Authority {Name} listening on {Addresses} ({Engine})")]
    public static partial void Listening(ILogger logger, string name, string addresses, string engine);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Registered agent passport {PassportId} at trust level {Level}")]
    public static partial void Registered(ILogger logger, string passportId, int level);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Registration refused: {Code} {Reason}")]
    public static partial void RegistrationRefused(ILogger logger, string code, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Passport {PassportId} revoked by {Actor}")]
    public static partial void Revoked(ILogger logger, string passportId, string actor);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Passport {PassportId} trust level {OldLevel} -> {NewLevel} by {Actor}")]
    public static partial void TrustLevelChanged(ILogger logger, string passportId, int oldLevel, int newLevel, string actor);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Checkpoint {LogId} anchored at {RecordCount} records")]
    public static partial void CheckpointAnchored(ILogger logger, string logId, long recordCount);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Checkpoint {LogId} refused ({Outcome}) at {RecordCount} records")]
    public static partial void CheckpointRefused(ILogger logger, string logId, string outcome, long recordCount);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Admin request refused from {Remote}: {Reason}")]
    public static partial void AdminRefused(ILogger logger, string remote, string reason);

    [LoggerMessage(EventId = 9, Level = LogLevel.Error, Message = "Unhandled error on {Path}")]
    public static partial void Unhandled(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Rate limit hit by {Remote} on {Path}")]
    public static partial void RateLimited(ILogger logger, string remote, string path);
}
