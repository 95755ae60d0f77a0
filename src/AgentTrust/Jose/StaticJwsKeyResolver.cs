using AgentTrust.Cryptography;

namespace AgentTrust.Jose;

/// <summary>Resolves keys from a fixed map of <c>kid</c> to key; optionally one key used when the token names no <c>kid</c>.</summary>
public sealed class StaticJwsKeyResolver : IJwsKeyResolver
{
    private readonly Dictionary<string, VerificationKey> _keys;
    private readonly VerificationKey? _keyWithoutId;
    private readonly bool _any;

    /// <summary>Creates a resolver over <paramref name="keys"/> (by kid).</summary>
    public StaticJwsKeyResolver(IReadOnlyDictionary<string, VerificationKey> keys, VerificationKey? keyWithoutId = null)
        : this(keys, keyWithoutId, any: false)
    {
    }

    private StaticJwsKeyResolver(IReadOnlyDictionary<string, VerificationKey> keys, VerificationKey? keyWithoutId, bool any)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _keys = new Dictionary<string, VerificationKey>(keys, StringComparer.Ordinal);
        _keyWithoutId = keyWithoutId;
        _any = any;
    }

    /// <summary>A resolver that returns <paramref name="key"/> for every token (whatever its kid). For tests and pinned single-key setups.</summary>
    public static StaticJwsKeyResolver Single(VerificationKey key) => new(new Dictionary<string, VerificationKey>(), key, any: true);

    /// <inheritdoc />
    public ValueTask<JwsKeyResolution> ResolveAsync(string? keyId, SignatureAlgorithm algorithm, CancellationToken cancellationToken = default)
    {
        if (_any && _keyWithoutId is not null)
        {
            return ValueTask.FromResult(JwsKeyResolution.Found(_keyWithoutId));
        }

        if (keyId is null)
        {
            return ValueTask.FromResult(_keyWithoutId is null
                ? JwsKeyResolution.Failed(JwsStatus.MissingKeyId, "kid missing")
                : JwsKeyResolution.Found(_keyWithoutId));
        }

        return ValueTask.FromResult(_keys.TryGetValue(keyId, out var key)
            ? JwsKeyResolution.Found(key)
            : JwsKeyResolution.Failed(JwsStatus.UnknownKey, "unknown kid"));
    }
}
