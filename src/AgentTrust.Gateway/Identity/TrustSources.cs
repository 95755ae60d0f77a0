using AgentTrust.Mcps.Passports;

namespace AgentTrust.Gateway.Identity;

/// <summary>
/// Where the verifier's trust comes from: the anchors passports must chain to, where passports not embedded in a
/// message are found, and where revocation status comes from (a local trust store, a Trust Authority, or both: the
/// local directory is asked first for passports, the authority answers status).
/// </summary>
/// <param name="Anchors">The trust anchors.</param>
/// <param name="Resolver">Passport lookup, or null.</param>
/// <param name="Status">Revocation status, or null.</param>
public sealed record TrustSources(PassportTrustStore Anchors, IPassportResolver? Resolver, IPassportStatusProvider? Status)
{
    /// <summary>A local trust store alone.</summary>
    public static TrustSources From(LocalTrustStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return new TrustSources(store.Anchors, store, store);
    }

    /// <summary>A Trust Authority (its anchor name and passport-signing key), optionally with a local trust store.</summary>
    public static TrustSources From(string authorityName, Cryptography.VerificationKey authorityKey, IPassportResolver authorityResolver,
        IPassportStatusProvider authorityStatus, LocalTrustStore? local)
    {
        var anchors = PassportTrustStore.Empty;
        foreach (var anchor in local?.Anchors.Anchors ?? [])
        {
            anchors = anchors.Add(anchor.Name, anchor.Key, anchor.MaxTrustLevel);
        }

        anchors = anchors.Add(authorityName, authorityKey);
        IPassportResolver resolver = local is null ? authorityResolver : new FirstFoundResolver(local, authorityResolver);
        return new TrustSources(anchors, resolver, authorityStatus);
    }

    private sealed class FirstFoundResolver(IPassportResolver first, IPassportResolver second) : IPassportResolver
    {
        public async ValueTask<ReadOnlyMemory<byte>?> ResolveAsync(string passportId, CancellationToken cancellationToken) =>
            await first.ResolveAsync(passportId, cancellationToken).ConfigureAwait(false)
            ?? await second.ResolveAsync(passportId, cancellationToken).ConfigureAwait(false);
    }
}
