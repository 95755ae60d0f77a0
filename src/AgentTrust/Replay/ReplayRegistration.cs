namespace AgentTrust.Replay;

/// <summary>
/// The outcome of a registration that records a holder (see
/// <see cref="IReplayStore.TryRegisterAsync(string, string, DateTimeOffset, string?, CancellationToken)"/>).
/// </summary>
/// <param name="Result">Accepted, Replayed, or a refusal.</param>
/// <param name="Holder">
/// For <see cref="ReplayCheckResult.Replayed"/>: the holder recorded by the registration that is still live (null when
/// it recorded none, when the store cannot record holders, or when the store keeps only a digest of holders and the
/// live one is not the holder presenting now). For <see cref="ReplayCheckResult.Accepted"/>: the
/// holder just recorded. Otherwise null.
/// </param>
public readonly record struct ReplayRegistration(ReplayCheckResult Result, string? Holder)
{
    /// <summary>
    /// True when the value was already live and was registered by exactly <paramref name="holder"/> (ordinal
    /// comparison; a null or unknown holder never matches). Use it for "the same presenter may present again" rules.
    /// </summary>
    /// <param name="holder">The holder presenting now.</param>
    /// <returns>Whether this is a re-presentation by the original holder.</returns>
    public bool IsReplayBy(string? holder) =>
        Result == ReplayCheckResult.Replayed && holder is not null && Holder is not null && string.Equals(Holder, holder, StringComparison.Ordinal);
}
