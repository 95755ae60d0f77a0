using AgentTrust.Gateway.Messages;

namespace AgentTrust.Gateway.Pipeline;

/// <summary>The decision of one stage: pass the message on (possibly changed in place), or refuse it.</summary>
public readonly record struct StageResult
{
    private StageResult(GatewayRejection? rejection) => Rejection = rejection;

    /// <summary>Pass the message to the next stage.</summary>
    public static StageResult Continue { get; } = new(null);

    /// <summary>Why the message was refused; null to continue.</summary>
    public GatewayRejection? Rejection { get; }

    /// <summary>True when the message was refused.</summary>
    public bool IsRejected => Rejection is not null;

    /// <summary>Refuse the message.</summary>
    public static StageResult Reject(GatewayRejection rejection)
    {
        ArgumentNullException.ThrowIfNull(rejection);
        return new StageResult(rejection);
    }
}
