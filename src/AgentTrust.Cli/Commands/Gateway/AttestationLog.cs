using Microsoft.Extensions.Logging;

namespace AgentTrust.Cli.Commands.Gateway;

/// <summary>The gateway's attestation log lines (never token content).</summary>
internal static partial class AttestationLog
{
    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "attestation: no token under policy preferred; the session proceeds unattested (trust level none)")]
    public static partial void ProceedingUnattested(ILogger logger);
}
