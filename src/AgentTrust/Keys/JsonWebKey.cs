using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;

namespace AgentTrust.Keys;

/// <summary>
/// A JSON Web Key (RFC 7517) restricted to the two accepted key types: <c>EC</c>/<c>P-256</c> (RFC 7518) and
/// <c>OKP</c>/<c>Ed25519</c> (RFC 8037). Parsing is strict: wrong types, non-canonical base64url, wrong lengths
/// and points off the curve are rejected with a reason.
/// </summary>
public sealed class JsonWebKey
{
    private JsonWebKey(string kty, string crv, string x, string? y, string? d, string? kid, string? alg, string? use)
    {
        KeyType = kty;
        Curve = crv;
        X = x;
        Y = y;
        D = d;
        KeyId = kid;
        Algorithm = alg;
        Use = use;
    }

    /// <summary><c>kty</c>: <c>EC</c> or <c>OKP</c>.</summary>
    public string KeyType { get; }

    /// <summary><c>crv</c>: <c>P-256</c> or <c>Ed25519</c>.</summary>
    public string Curve { get; }

    /// <summary><c>x</c>, base64url.</summary>
    public string X { get; }

    /// <summary><c>y</c>, base64url (EC only).</summary>
    public string? Y { get; }

    /// <summary><c>d</c>, base64url: the private key, when this JWK carries one.</summary>
    public string? D { get; }

    /// <summary><c>kid</c>, when present.</summary>
    public string? KeyId { get; }

    /// <summary><c>alg</c>, when present (<c>ES256</c> or <c>EdDSA</c>).</summary>
    public string? Algorithm { get; }

    /// <summary><c>use</c>, when present.</summary>
    public string? Use { get; }

    /// <summary>True when the JWK carries a private key (<c>d</c>).</summary>
    public bool HasPrivateKey => D is not null;

    /// <summary>The signature algorithm this key type is used with.</summary>
    public SignatureAlgorithm SignatureAlgorithm => KeyType == "EC" ? SignatureAlgorithm.ES256 : SignatureAlgorithm.EdDSA;

    /// <summary>A public Ed25519 JWK.</summary>
    public static JsonWebKey ForEd25519(ReadOnlySpan<byte> publicKey, string? kid = null) =>
        new("OKP", "Ed25519", StrictBase64.EncodeUrl(publicKey), null, null, kid, null, null);

    /// <summary>A public P-256 JWK.</summary>
    public static JsonWebKey ForP256(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, string? kid = null) =>
        new("EC", "P-256", StrictBase64.EncodeUrl(x), StrictBase64.EncodeUrl(y), null, kid, null, null);

    /// <summary>A private JWK for <paramref name="key"/> (includes <c>d</c>; handle as a secret).</summary>
    public static JsonWebKey ForPrivateKey(SigningKey key, string? kid = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        var pub = key.PublicKey.ToJsonWebKey();
        Span<byte> d = stackalloc byte[SigningKey.PrivateKeySize];
        try
        {
            key.ExportPrivateKey(d);
            return new JsonWebKey(pub.KeyType, pub.Curve, pub.X, pub.Y, StrictBase64.EncodeUrl(d), kid, null, null);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(d);
        }
    }

    /// <summary>Returns a copy with <c>kid</c>, <c>alg</c> and <c>use</c> set.</summary>
    public JsonWebKey With(string? kid = null, string? alg = null, string? use = null) =>
        new(KeyType, Curve, X, Y, D, kid ?? KeyId, alg ?? Algorithm, use ?? Use);

    /// <summary>Returns the public part only.</summary>
    public JsonWebKey ToPublic() => new(KeyType, Curve, X, Y, null, KeyId, Algorithm, Use);

    /// <summary>The RFC 7638 thumbprint: base64url(SHA-256(required members in lexicographic order, no whitespace)).</summary>
    public string ComputeThumbprint()
    {
        // Every member value is base64url or a fixed name, so no JSON escaping can occur.
        var canonical = KeyType == "EC"
            ? $"{{\"crv\":\"{Curve}\",\"kty\":\"{KeyType}\",\"x\":\"{X}\",\"y\":\"{Y}\"}}"
            : $"{{\"crv\":\"{Curve}\",\"kty\":\"{KeyType}\",\"x\":\"{X}\"}}";
        return StrictBase64.EncodeUrl(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(canonical)));
    }

    /// <summary>The public key as a <see cref="VerificationKey"/>.</summary>
    public VerificationKey ToVerificationKey()
    {
        StrictBase64.TryDecodeUrl(X, out var x);
        if (KeyType == "OKP")
        {
            return VerificationKey.ImportEd25519(x);
        }

        StrictBase64.TryDecodeUrl(Y, out var y);
        return VerificationKey.ImportP256(x, y);
    }

    /// <summary>The private key as a <see cref="SigningKey"/>; the public members must match it.</summary>
    /// <exception cref="InvalidOperationException">This JWK has no private key.</exception>
    /// <exception cref="CryptographicException">The private key does not match the public members.</exception>
    public SigningKey ToSigningKey()
    {
        if (D is null || !StrictBase64.TryDecodeUrl(D, SigningKey.PrivateKeySize, out var d))
        {
            throw new InvalidOperationException("This JWK carries no private key.");
        }

        try
        {
            var key = SigningKey.Import(SignatureAlgorithm, d);
            if (!key.PublicKey.Equals(ToVerificationKey()))
            {
                key.Dispose();
                throw new CryptographicException("The JWK's private key does not match its public key.");
            }

            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(d);
        }
    }

    /// <summary>Parses and validates a JWK from JSON text.</summary>
    public static bool TryParse(string json, out JsonWebKey? key, out string? error)
    {
        key = null;
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8, AllowDuplicateProperties = false });
            return TryParse(document.RootElement, out key, out error);
        }
        catch (JsonException e)
        {
            error = $"not a JSON object: {e.Message}";
            return false;
        }
    }

    /// <summary>Parses and validates a JWK from a JSON element.</summary>
    public static bool TryParse(JsonElement element, out JsonWebKey? key, out string? error)
    {
        key = null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            error = "a JWK must be a JSON object";
            return false;
        }

        if (!TryGetString(element, "kty", out var kty, out error) || !TryGetString(element, "crv", out var crv, out error)
            || !TryGetString(element, "x", out var x, out error) || !TryGetString(element, "y", out var y, out error)
            || !TryGetString(element, "d", out var d, out error) || !TryGetString(element, "kid", out var kid, out error)
            || !TryGetString(element, "alg", out var alg, out error) || !TryGetString(element, "use", out var use, out error))
        {
            return false;
        }

        switch (kty)
        {
            case "EC" when crv == "P-256":
                if (alg is not null and not "ES256")
                {
                    error = $"alg '{alg}' does not match an EC P-256 key";
                    return false;
                }

                if (!StrictBase64.TryDecodeUrl(x, 32, out var xb) || !StrictBase64.TryDecodeUrl(y, 32, out var yb))
                {
                    error = "x and y must be 32-byte canonical base64url";
                    return false;
                }

                try
                {
                    _ = VerificationKey.ImportP256(xb, yb);
                }
                catch (CryptographicException)
                {
                    error = "the point is not on P-256";
                    return false;
                }

                break;
            case "EC":
                error = $"curve '{crv}' is not accepted (only P-256)";
                return false;
            case "OKP" when crv == "Ed25519":
                if (alg is not null and not "EdDSA")
                {
                    error = $"alg '{alg}' does not match an Ed25519 key";
                    return false;
                }

                if (y is not null)
                {
                    error = "an OKP key has no y";
                    return false;
                }

                if (!StrictBase64.TryDecodeUrl(x, 32, out _))
                {
                    error = "x must be a 32-byte canonical base64url";
                    return false;
                }

                break;
            case "OKP":
                error = $"curve '{crv}' is not accepted (only Ed25519)";
                return false;
            case null:
                error = "kty missing";
                return false;
            default:
                error = $"key type '{kty}' is not accepted (only EC P-256 and OKP Ed25519)";
                return false;
        }

        if (d is not null && !StrictBase64.TryDecodeUrl(d, 32, out _))
        {
            error = "d must be a 32-byte canonical base64url";
            return false;
        }

        key = new JsonWebKey(kty, crv!, x!, y, d, kid, alg, use);
        error = null;
        return true;
    }

    /// <summary>Writes this JWK as a JSON object (members in RFC 7638 order, then kid, alg, use).</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("crv", Curve);
        if (D is not null)
        {
            writer.WriteString("d", D);
        }

        writer.WriteString("kty", KeyType);
        writer.WriteString("x", X);
        if (Y is not null)
        {
            writer.WriteString("y", Y);
        }

        if (KeyId is not null)
        {
            writer.WriteString("kid", KeyId);
        }

        if (Algorithm is not null)
        {
            writer.WriteString("alg", Algorithm);
        }

        if (Use is not null)
        {
            writer.WriteString("use", Use);
        }

        writer.WriteEndObject();
    }

    /// <summary>This JWK as compact JSON text.</summary>
    public string ToJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteTo(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <inheritdoc />
    public override string ToString() => ToPublic().ToJson();

    private static bool TryGetString(JsonElement element, string name, out string? value, out string? error)
    {
        value = null;
        error = null;
        if (!element.TryGetProperty(name, out var property))
        {
            return true;
        }

        if (property.ValueKind != JsonValueKind.String)
        {
            error = $"member '{name}' must be a string";
            return false;
        }

        value = property.GetString();
        return true;
    }
}
