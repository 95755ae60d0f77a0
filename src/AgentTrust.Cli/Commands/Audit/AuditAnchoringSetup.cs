using AgentTrust.Audit;
using AgentTrust.Cryptography;
using AgentTrust.Errors;
using AgentTrust.TrustAuthority;
using Microsoft.Extensions.Logging;

namespace AgentTrust.Cli.Commands;

/// <summary>
/// Automatic anchoring for the commands that write or watch an audit log (<c>audit anchor --watch</c>, the gateway's
/// <c>--audit-dir</c> with <c>--authority</c>): the authority's anchor key from <c>--authority-key</c> or the pin in
/// AGENTTRUST_HOME (pinned on first contact), and every status change logged.
/// </summary>
internal static partial class AuditAnchoringSetup
{
    /// <summary>
    /// Options that deposit the heads of the log in <paramref name="directory"/> at the authority behind
    /// <paramref name="http"/>, proving the log with <paramref name="logKey"/> (Ed25519, kept alive by the caller); each
    /// newly anchored log id is recorded in AGENTTRUST_HOME (<see cref="AnchoredLogIds"/>).
    /// </summary>
    public static async Task<AuditAnchoringOptions> CreateAsync(CliContext context, string directory, HttpClient http, SigningKey logKey, string? explicitAnchorKey, ILogger logger, CancellationToken cancellationToken, Action<AuditAnchoringStatus>? observer = null)
    {
        var pinned = await AuthorityAnchorPins.ResolveAsync(context, http.BaseAddress!, explicitAnchorKey, cancellationToken).ConfigureAwait(false);
        var client = new TrustAuthorityClient(http, new TrustAuthorityClientOptions { AnchorKey = pinned }, context.Time);
        if (pinned is null)
        {
            pinned = await client.GetAnchorKeyAsync(cancellationToken).ConfigureAwait(false)
                ?? throw CliFailure.Environment(McpsCode.AuthorityUnreachable.ToCodeString(), "the Trust Authority is unreachable or did not publish its anchor key");
            await AuthorityAnchorPins.PinAsync(context, http.BaseAddress!, pinned, cancellationToken).ConfigureAwait(false);
        }

        var previous = new AuditAnchoringStatus();
        return new AuditAnchoringOptions
        {
            Authority = new TrustAuthorityAuditAnchors(client, logKey),
            AnchorKey = pinned,
            StatusChanged = status =>
            {
                if (status.AnchorFile is { } file && file != previous.AnchorFile)
                {
                    RecordLogId(context, directory, file, logger);
                }

                Log(logger, previous, status);
                previous = status;
                observer?.Invoke(status);
            },
        };
    }

    /// <summary>Records the log id of a freshly written anchor file, once per log id.</summary>
    private static void RecordLogId(CliContext context, string directory, string anchorFile, ILogger logger)
    {
        try
        {
            if (AuditAnchor.TryParse(File.ReadAllBytes(anchorFile), out _) is { } anchor && AnchoredLogIds.Find(context, directory) != anchor.LogId)
            {
                AnchoredLogIds.Record(context, directory, anchor.LogId);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CliFailure)
        {
            // The anchor itself is stored; only the convenience default for 'audit verify --authority' is missing.
            LogIdNotRecorded(logger, e.Message);
        }
    }

    private static void Log(ILogger logger, AuditAnchoringStatus previous, AuditAnchoringStatus status)
    {
        if (status.ClaimedByAnotherKey && !previous.ClaimedByAnotherKey)
        {
            AnchorClaimedByAnotherKey(logger, status.LastFailureCode?.ToCodeString() ?? "-", status.LastFailureReason ?? "-");
        }
        else if (status.Refused && !previous.Refused)
        {
            AnchorRefused(logger, status.LastFailureCode?.ToCodeString() ?? "-", status.LastFailureReason ?? "-", status.DurableRecordCount);
        }
        else if (status.LastFailureReason is { } reason)
        {
            AnchorFailed(logger, status.LastFailureCode?.ToCodeString() ?? "-", reason, status.ConsecutiveFailures);
        }
        else if (status.AnchoredRecordCount != previous.AnchoredRecordCount)
        {
            Anchored(logger, status.AnchoredRecordCount, status.AnchorFile ?? "-");
        }
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Audit log anchored at the Trust Authority: {RecordCount} records ({File})")]
    private static partial void Anchored(ILogger logger, long recordCount, string file);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Critical, Message = "The Trust Authority binds this audit log id to another key ({Code} {Reason}): someone else deposited it first. Anchoring stopped; investigate who knows the log id.")]
    private static partial void AnchorClaimedByAnotherKey(ILogger logger, string code, string reason);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning, Message = "Could not record the anchored audit log id in AGENTTRUST_HOME: {Reason}")]
    private static partial void LogIdNotRecorded(ILogger logger, string reason);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Audit anchoring failed ({Code} {Reason}, attempt {Failures}); retrying")]
    private static partial void AnchorFailed(ILogger logger, string code, string reason, int failures);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Error, Message = "The Trust Authority refused the audit log's head ({Code} {Reason}) at {RecordCount} records: the local log diverged from what it anchored (forked or cut). Anchoring stopped; run 'agenttrust audit verify --authority URL'.")]
    private static partial void AnchorRefused(ILogger logger, string code, string reason, long recordCount);
}
