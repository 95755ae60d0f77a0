using AgentTrust.Cryptography;

namespace AgentTrust.Jose;

/// <summary>
/// Finds the verification key for a JWS by its <c>kid</c>. Implementations: <see cref="StaticJwsKeyResolver"/>
/// (fixed keys) and JWKS-backed resolvers. Keys never come from the token itself (<c>jwk</c>, <c>jku</c>, <c>x5u</c>, <c>x5c</c> are ignored).
/// </summary>
public interface IJwsKeyResolver
{
    /// <summary>Resolves the key for <paramref name="keyId"/>; never throws for an unknown key (returns a failed resolution).</summary>
    ValueTask<JwsKeyResolution> ResolveAsync(string? keyId, SignatureAlgorithm algorithm, CancellationToken cancellationToken = default);
}

/// <summary>The result of a key lookup: a key, or a failure status (<see cref="JwsStatus.UnknownKey"/>, <see cref="JwsStatus.MissingKeyId"/>, <see cref="JwsStatus.KeySourceUnavailable"/>) with a reason.</summary>
public readonly record struct JwsKeyResolution(VerificationKey? Key, JwsStatus Status, string? Reason)
{
    /// <summary>A successful lookup.</summary>
    public static JwsKeyResolution Found(VerificationKey key) => new(key, JwsStatus.Valid, null);

    /// <summary>A failed lookup.</summary>
    public static JwsKeyResolution Failed(JwsStatus status, string reason) => new(null, status, reason);
}
