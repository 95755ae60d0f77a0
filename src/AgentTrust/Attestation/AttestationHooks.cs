namespace AgentTrust.Attestation;

/// <summary>
/// Callbacks mirroring the reference's event handler (verification success and failure, replay detected). A callback
/// that throws does not change the verdict (the verifier never throws on bad input); keep them cheap.
/// </summary>
public sealed record AttestationHooks
{
    /// <summary>After a token verified.</summary>
    public Action<AttestationVerdict>? Verified { get; init; }

    /// <summary>After a token was rejected or was missing (including replays).</summary>
    public Action<AttestationVerdict>? Rejected { get; init; }

    /// <summary>After a replay was detected.</summary>
    public Action<AttestationVerdict>? ReplayDetected { get; init; }

    internal void Raise(AttestationVerdict verdict)
    {
        try
        {
            if (verdict.Verified)
            {
                Verified?.Invoke(verdict);
                return;
            }

            Rejected?.Invoke(verdict);
            if (verdict.Reason == AttestationReason.Replay)
            {
                ReplayDetected?.Invoke(verdict);
            }
        }
#pragma warning disable CA1031 // A faulty observer must not turn a verdict into an exception.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
