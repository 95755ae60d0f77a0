using System.Buffers;
using System.Text.Json;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;

namespace AgentTrust.Jose;

/// <summary>Produces compact JWS (RFC 7515 §7.1) with ES256 (low-S P1363) or EdDSA.</summary>
public static class JwsSigner
{
    /// <summary>
    /// Signs <paramref name="payload"/> with a header <c>{"alg":…,"typ":…,"kid":…}</c> (members in that order; <c>typ</c>
    /// and <c>kid</c> omitted when null) and returns the compact serialization.
    /// </summary>
    public static string Sign(SigningKey key, ReadOnlySpan<byte> payload, string? keyId = null, string? type = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        var buffer = new ArrayBufferWriter<byte>(96);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("alg", key.Algorithm.ToIdentifier());
            if (type is not null)
            {
                writer.WriteString("typ", type);
            }

            if (keyId is not null)
            {
                writer.WriteString("kid", keyId);
            }

            writer.WriteEndObject();
        }

        return SignWithHeader(key, buffer.WrittenSpan, payload);
    }

    /// <summary>
    /// Signs with caller-supplied header bytes (which must name the key's algorithm in <c>alg</c>; checked by parsing them).
    /// Used to reproduce tokens of other implementations byte for byte.
    /// </summary>
    /// <exception cref="ArgumentException">The header is not a strict JSON object naming the key's algorithm.</exception>
    public static string SignWithHeader(SigningKey key, ReadOnlySpan<byte> headerJson, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!CompactJws.TryParseObject(headerJson.ToArray(), 16, out var header, out _)
            || !header.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String
            || alg.GetString() != key.Algorithm.ToIdentifier())
        {
            throw new ArgumentException("The header must be a JSON object whose alg names the key's algorithm.", nameof(headerJson));
        }

        var encodedHeader = StrictBase64.EncodeUrl(headerJson);
        var encodedPayload = StrictBase64.EncodeUrl(payload);
        var signingInput = JwsSigningInput.Create(encodedHeader, encodedPayload);
        Span<byte> signature = stackalloc byte[SigningKey.SignatureSize];
        key.Sign(signingInput, signature);
        return string.Concat(encodedHeader, ".", encodedPayload, ".", StrictBase64.EncodeUrl(signature));
    }
}
