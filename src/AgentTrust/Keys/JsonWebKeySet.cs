using System.Text.Json;
using AgentTrust.Cryptography;

namespace AgentTrust.Keys;

/// <summary>
/// A published JSON Web Key Set (RFC 7517 §5) of public P-256 and Ed25519 keys. Parsing is strict: a <c>keys</c>
/// array of valid JWKs, each with a unique non-empty <c>kid</c>, none carrying private members. Keys of other types
/// are rejected, not skipped, so a published set never silently loses a key.
/// </summary>
public sealed class JsonWebKeySet
{
    /// <summary>Largest JWKS document read, in bytes.</summary>
    public const int MaxDocumentBytes = 64 * 1024;

    /// <summary>Largest number of keys in a set.</summary>
    public const int MaxKeys = 100;

    private static readonly string[] PrivateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

    private readonly Dictionary<string, JsonWebKey> _byKid;

    private JsonWebKeySet(IReadOnlyList<JsonWebKey> keys)
    {
        Keys = keys;
        _byKid = new Dictionary<string, JsonWebKey>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            _byKid.Add(key.KeyId!, key);
        }
    }

    /// <summary>The keys, in document order; every one has a <c>kid</c>.</summary>
    public IReadOnlyList<JsonWebKey> Keys { get; }

    /// <summary>
    /// Builds a set from public keys: <c>kid</c> = the RFC 7638 thumbprint unless <paramref name="keyIds"/> gives one,
    /// <c>alg</c> = ES256/EdDSA, <c>use</c> = <c>sig</c>.
    /// </summary>
    /// <exception cref="ArgumentException">Two keys end up with the same kid.</exception>
    public static JsonWebKeySet Create(IEnumerable<VerificationKey> keys, Func<VerificationKey, string>? keyIds = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var list = new List<JsonWebKey>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            ArgumentNullException.ThrowIfNull(key);
            var kid = keyIds?.Invoke(key) ?? key.Thumbprint;
            if (string.IsNullOrEmpty(kid) || !seen.Add(kid))
            {
                throw new ArgumentException($"Key id '{kid}' is empty or used twice.", nameof(keys));
            }

            list.Add(key.ToJsonWebKey().With(kid: kid, alg: key.Algorithm.ToIdentifier(), use: "sig"));
        }

        if (list.Count > MaxKeys)
        {
            throw new ArgumentException($"A key set holds at most {MaxKeys} keys.", nameof(keys));
        }

        return new JsonWebKeySet(list);
    }

    /// <summary>Parses a published key set. Returns false with a reason for any defect.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8Json, out JsonWebKeySet? keySet, out string? error)
    {
        keySet = null;
        if (utf8Json.IsEmpty || utf8Json.Length > MaxDocumentBytes)
        {
            error = $"a JWKS document must be 1..{MaxDocumentBytes} bytes";
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(utf8Json.ToArray(), new JsonDocumentOptions { MaxDepth = 8, AllowDuplicateProperties = false });
            return TryParse(document.RootElement, out keySet, out error);
        }
        catch (JsonException)
        {
            error = "not a valid JSON document (or it repeats a member name)";
            return false;
        }
    }

    /// <summary>Parses a published key set from JSON text.</summary>
    public static bool TryParse(string json, out JsonWebKeySet? keySet, out string? error)
    {
        ArgumentNullException.ThrowIfNull(json);
        return TryParse(System.Text.Encoding.UTF8.GetBytes(json), out keySet, out error);
    }

    private static bool TryParse(JsonElement root, out JsonWebKeySet? keySet, out string? error)
    {
        keySet = null;
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

        var list = new List<JsonWebKey>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var element in keys.EnumerateArray())
        {
            if (element.ValueKind == JsonValueKind.Object)
            {
                foreach (var member in PrivateMembers)
                {
                    if (element.TryGetProperty(member, out _))
                    {
                        error = $"key {index} carries the private member '{member}'; a published set holds public keys only";
                        return false;
                    }
                }
            }

            if (!JsonWebKey.TryParse(element, out var jwk, out var keyError))
            {
                error = $"key {index}: {keyError}";
                return false;
            }

            if (string.IsNullOrEmpty(jwk!.KeyId))
            {
                error = $"key {index} has no kid";
                return false;
            }

            if (!seen.Add(jwk.KeyId))
            {
                error = $"kid '{jwk.KeyId}' appears twice";
                return false;
            }

            if (jwk.Use is not null and not "sig")
            {
                error = $"key {index} has use '{jwk.Use}'; only 'sig' keys are accepted";
                return false;
            }

            list.Add(jwk);
            index++;
        }

        keySet = new JsonWebKeySet(list);
        error = null;
        return true;
    }

    /// <summary>Finds the key with <paramref name="kid"/> (exact, case-sensitive match).</summary>
    public bool TryFind(string kid, out JsonWebKey? key)
    {
        ArgumentNullException.ThrowIfNull(kid);
        return _byKid.TryGetValue(kid, out key);
    }

    /// <summary>Finds the key with <paramref name="kid"/> as a <see cref="VerificationKey"/>.</summary>
    public bool TryFindVerificationKey(string kid, out VerificationKey? key)
    {
        key = TryFind(kid, out var jwk) ? jwk!.ToVerificationKey() : null;
        return key is not null;
    }

    /// <summary>Writes the set as <c>{"keys":[…]}</c>.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteStartArray("keys");
        foreach (var key in Keys)
        {
            key.WriteTo(writer);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>The set as compact JSON text.</summary>
    public string ToJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteTo(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
