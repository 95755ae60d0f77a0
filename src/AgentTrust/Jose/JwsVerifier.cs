using AgentTrust.Cryptography;

namespace AgentTrust.Jose;

/// <summary>
/// Verifies compact JWS: strict parse (<see cref="CompactJws.TryParse"/>), key by <c>kid</c> through an
/// <see cref="IJwsKeyResolver"/>, key type bound to <c>alg</c>, signature. Returns a result; never throws on bad input.
/// </summary>
public sealed class JwsVerifier
{
    private readonly IJwsKeyResolver _keys;
    private readonly JwsParseOptions _parse;
    private readonly SignatureVerificationOptions _signature;

    /// <summary>Creates a verifier.</summary>
    /// <param name="keys">Where keys come from.</param>
    /// <param name="parseOptions">Size limit, understood critical headers, payload rule.</param>
    /// <param name="signatureOptions">ES256 high-S compatibility (off by default).</param>
    public JwsVerifier(IJwsKeyResolver keys, JwsParseOptions? parseOptions = null, SignatureVerificationOptions? signatureOptions = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _keys = keys;
        _parse = parseOptions ?? JwsParseOptions.Default;
        _signature = signatureOptions ?? SignatureVerificationOptions.Default;
    }

    /// <summary>Verifies <paramref name="token"/>.</summary>
    public async ValueTask<JwsVerificationResult> VerifyAsync(string? token, CancellationToken cancellationToken = default)
    {
        if (!CompactJws.TryParse(token, _parse, out var jws, out var status, out var reason))
        {
            return JwsVerificationResult.Rejected(status, reason);
        }

        JwsKeyResolution resolution;
        try
        {
            resolution = await _keys.ResolveAsync(jws!.Header.KeyId, jws.Header.Algorithm, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return JwsVerificationResult.Rejected(JwsStatus.KeySourceUnavailable, "key source failed");
        }

        if (resolution.Key is null)
        {
            return JwsVerificationResult.Rejected(resolution.Status == JwsStatus.Valid ? JwsStatus.UnknownKey : resolution.Status, resolution.Reason);
        }

        return JwsVerificationResult.FromSignature(jws, jws.VerifySignature(resolution.Key, _signature, out var signatureStatus), signatureStatus);
    }

    /// <summary>Verifies <paramref name="token"/> against one known key (no kid lookup).</summary>
    public static JwsVerificationResult Verify(string? token, VerificationKey key, JwsParseOptions? parseOptions = null, SignatureVerificationOptions? signatureOptions = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!CompactJws.TryParse(token, parseOptions, out var jws, out var status, out var reason))
        {
            return JwsVerificationResult.Rejected(status, reason);
        }

        return JwsVerificationResult.FromSignature(jws!, jws!.VerifySignature(key, signatureOptions, out var signatureStatus), signatureStatus);
    }
}
