using System.Text.Json;
using AgentTrust.Cryptography;

namespace AgentTrust.Jose;

/// <summary>
/// Keys of one issuer read from a published JWKS (attestation.md §2): at most 64 KiB and 32 keys, strict JSON.
/// Each key must pass <see cref="JwkAcceptance"/>; a key that does not (private members, <c>use</c> ≠ <c>sig</c>,
/// other types) is ignored and reported in <see cref="IgnoredKeys"/>; two keys with one <c>kid</c> make that
/// <c>kid</c> unusable; a key without <c>kid</c> is ignored. Keys are parsed once.
/// </summary>
public sealed class JsonWebKeySetResolver : IJwsKeyResolver
{
    /// <summary>Largest JWKS document accepted.</summary>
    public const int MaxDocumentBytes = 64 * 1024;

    /// <summary>Largest number of keys accepted.</summary>
    public const int MaxKeys = 32;

    private readonly Dictionary<string, VerificationKey> _keys;

    private JsonWebKeySetResolver(Dictionary<string, VerificationKey> keys, IReadOnlyList<string> ignored)
    {
        _keys = keys;
        IgnoredKeys = ignored;
    }

    /// <summary>Why keys of the document were not taken (one line per key, no key material).</summary>
    public IReadOnlyList<string> IgnoredKeys { get; }

    /// <summary>The usable key ids.</summary>
    public IReadOnlyCollection<string> KeyIds => _keys.Keys;

    /// <summary>Parses a JWKS document. Returns false when the document itself is unusable.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> utf8Json, out JsonWebKeySetResolver? resolver, out string? error)
    {
        resolver = null;
        if (utf8Json.IsEmpty || utf8Json.Length > MaxDocumentBytes)
        {
            error = $"a JWKS document is 1..{MaxDocumentBytes} bytes";
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(utf8Json, new JsonDocumentOptions { MaxDepth = 8, AllowDuplicateProperties = false });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
            {
                error = "a JWKS is an object with a 'keys' array";
                return false;
            }

            if (keys.GetArrayLength() > MaxKeys)
            {
                error = $"a JWKS holds at most {MaxKeys} keys";
                return false;
            }

            var accepted = new Dictionary<string, VerificationKey>(StringComparer.Ordinal);
            var duplicated = new HashSet<string>(StringComparer.Ordinal);
            var ignored = new List<string>();
            var index = 0;
            foreach (var element in keys.EnumerateArray())
            {
                if (!JwkAcceptance.TryAcceptForVerification(element, out var jwk, out var reason))
                {
                    ignored.Add($"key {index}: {reason}");
                }
                else if (string.IsNullOrEmpty(jwk!.KeyId))
                {
                    ignored.Add($"key {index}: no kid");
                }
                else if (duplicated.Contains(jwk.KeyId) || !accepted.TryAdd(jwk.KeyId, jwk.ToVerificationKey()))
                {
                    duplicated.Add(jwk.KeyId);
                    accepted.Remove(jwk.KeyId);
                    ignored.Add($"key {index}: kid '{jwk.KeyId}' appears more than once; it is unusable");
                }

                index++;
            }

            resolver = new JsonWebKeySetResolver(accepted, ignored);
            error = null;
            return true;
        }
        catch (JsonException)
        {
            error = "not strict JSON";
            return false;
        }
    }

    /// <summary>Parses JWKS text.</summary>
    public static bool TryParse(string json, out JsonWebKeySetResolver? resolver, out string? error)
    {
        ArgumentNullException.ThrowIfNull(json);
        return TryParse(System.Text.Encoding.UTF8.GetBytes(json), out resolver, out error);
    }

    /// <summary>Finds a key by kid.</summary>
    public bool TryGetKey(string keyId, out VerificationKey? key) => _keys.TryGetValue(keyId, out key);

    /// <inheritdoc />
    public ValueTask<JwsKeyResolution> ResolveAsync(string? keyId, SignatureAlgorithm algorithm, CancellationToken cancellationToken = default)
    {
        if (keyId is null)
        {
            return ValueTask.FromResult(JwsKeyResolution.Failed(JwsStatus.MissingKeyId, "kid missing"));
        }

        return ValueTask.FromResult(_keys.TryGetValue(keyId, out var key)
            ? JwsKeyResolution.Found(key)
            : JwsKeyResolution.Failed(JwsStatus.UnknownKey, "unknown kid"));
    }
}
