using AgentTrust.Errors;

namespace AgentTrust.Mcps.Passports;

/// <summary>
/// The rules that turn a passport's revocation status into a refusal, shared by every verifier that asks for one
/// (messages, tool signatures), so that they cannot drift apart.
/// </summary>
public static class PassportStatusCheck
{
    /// <summary>Asks <paramref name="provider"/> for the status; null when there is no provider or it cannot answer.</summary>
    /// <param name="provider">The status source, or null.</param>
    /// <param name="passportId">The passport.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    public static async ValueTask<PassportStatus?> TryGetAsync(IPassportStatusProvider? provider, string passportId, CancellationToken cancellationToken)
    {
        if (provider is null)
        {
            return null;
        }

        try
        {
            return await provider.GetStatusAsync(passportId, cancellationToken).ConfigureAwait(false);
        }
        catch (PassportResolutionException)
        {
            return null;
        }
    }

    /// <summary>
    /// The refusal a status calls for under <paramref name="policy"/>, or null when the passport may be used: no answer
    /// refuses (MCPS-007) unless the policy is <see cref="StatusPolicy.BestEffort"/>; revoked, expired and unknown
    /// passports are always refused.
    /// </summary>
    /// <param name="status">The status obtained, or null when none could be.</param>
    /// <param name="policy">The failure policy.</param>
    public static McpsFailure? Refusal(PassportStatus? status, StatusPolicy policy) => status switch
    {
        null when policy == StatusPolicy.BestEffort => null,
        null => new McpsFailure(McpsCode.AuthorityUnreachable, McpsReasons.StatusUnavailable),
        { Kind: PassportStatusKind.Revoked } => new McpsFailure(McpsCode.PassportRevoked, McpsReasons.Revoked),
        { Kind: PassportStatusKind.Expired } => new McpsFailure(McpsCode.PassportExpired, McpsReasons.Expired),
        { Kind: PassportStatusKind.Unknown } => new McpsFailure(McpsCode.InvalidPassport, McpsReasons.UnknownPassport),
        _ => null,
    };
}
