using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Json;

namespace AgentTrust.Receipts;

/// <summary>
/// The Signet text encodings (receipts.md §1): <c>ed25519:</c> keys and signatures in canonical standard base64,
/// <c>sha256:</c> hashes, <c>rec_</c>/<c>del_</c> ids, <c>rnd_</c> nonces and RFC 3339 timestamps.
/// </summary>
public static partial class ReceiptEncoding
{
    /// <summary>The prefix of keys and signatures.</summary>
    public const string Ed25519Prefix = "ed25519:";

    /// <summary>The prefix of hashes.</summary>
    public const string Sha256Prefix = "sha256:";

    /// <summary>The hash of the JCS of <c>{}</c>, used for <c>null</c> params.</summary>
    public const string EmptyObjectHash = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

    /// <summary>Formats a public key as <c>ed25519:</c> + base64.</summary>
    public static string FormatPublicKey(VerificationKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Algorithm != SignatureAlgorithm.EdDSA)
        {
            throw new ArgumentException("Receipts are signed with Ed25519 keys only.", nameof(key));
        }

        return Ed25519Prefix + StrictBase64.Encode(key.RawPublicKey.Span);
    }

    /// <summary>Parses <c>ed25519:</c> + canonical base64 of 32 bytes. Never throws.</summary>
    public static bool TryParsePublicKey(string? text, out VerificationKey? key)
    {
        key = null;
        if (text is null || !text.StartsWith(Ed25519Prefix, StringComparison.Ordinal)
            || !StrictBase64.TryDecode(text[Ed25519Prefix.Length..], Ed25519.PublicKeySize, out var raw))
        {
            return false;
        }

        key = VerificationKey.ImportEd25519(raw);
        return true;
    }

    /// <summary>Parses <c>ed25519:</c> + canonical base64 of a 64-byte signature. Never throws.</summary>
    public static bool TryParseSignature(string? text, out byte[] signature)
    {
        signature = [];
        return text is not null && text.StartsWith(Ed25519Prefix, StringComparison.Ordinal)
            && StrictBase64.TryDecode(text[Ed25519Prefix.Length..], Ed25519.SignatureSize, out signature);
    }

    /// <summary>Formats a signature as <c>ed25519:</c> + base64.</summary>
    public static string FormatSignature(ReadOnlySpan<byte> signature) => Ed25519Prefix + StrictBase64.Encode(signature);

    /// <summary>The id of a receipt (<c>rec_</c>) or token (<c>del_</c>): the prefix + hex of the first 16 bytes of SHA-256(signature).</summary>
    public static string ComputeId(string prefix, ReadOnlySpan<byte> signature)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(signature, digest);
        return prefix + Convert.ToHexStringLower(digest[..16]);
    }

    /// <summary><c>sha256:</c> + lowercase hex of SHA-256 of <paramref name="data"/>.</summary>
    public static string HashTag(ReadOnlySpan<byte> data)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(data, digest);
        return Sha256Prefix + Convert.ToHexStringLower(digest);
    }

    /// <summary>
    /// The hash of JSON content under the Signet profile: <c>sha256:</c> + hex(SHA-256(JCS(value))), a null value hashed
    /// as <c>{}</c> (receipts.md §3).
    /// </summary>
    /// <exception cref="CanonicalJsonException">The value holds something Signet cannot canonicalise (e.g. an unsafe integer).</exception>
    public static string ContentHash(JsonNode? value, CanonicalJsonOptions? options = null)
        => value is null ? EmptyObjectHash : HashTag(JsonCanonicalizer.Canonicalize(value, options ?? CanonicalJsonOptions.Signet));

    /// <summary>True for <c>sha256:</c> + 64 lowercase hex digits.</summary>
    public static bool IsHashTag(string? text) => text is not null && HashPattern().IsMatch(text);

    /// <summary>A fresh nonce: <c>rnd_</c> + hex of 16 CSPRNG bytes.</summary>
    public static string NewNonce()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return "rnd_" + Convert.ToHexStringLower(bytes);
    }

    /// <summary>Formats a time as Signet emits it: <c>YYYY-MM-DDTHH:MM:SS.mmmZ</c>.</summary>
    public static string FormatTimestamp(DateTimeOffset time)
        => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Parses an RFC 3339 <c>date-time</c> (any fraction length, <c>Z</c> or an offset). Never throws.</summary>
    public static bool TryParseTimestamp(string? text, out DateTimeOffset time)
    {
        time = default;
        if (text is null || text.Length > 64)
        {
            return false;
        }

        if (TryParseMillisecondUtc(text, out time))
        {
            return true;
        }

        var match = TimestampPattern().Match(text);
        if (!match.Success)
        {
            return false;
        }

        // .NET parses at most 7 fractional digits; RFC 3339 allows any number (Signet .pub files carry 9).
        var fraction = match.Groups["f"].Value;
        if (fraction.Length > 8)
        {
            fraction = fraction[..8];
        }

        var normalized = string.Concat(match.Groups["dt"].Value.ToUpperInvariant(), fraction, match.Groups["z"].Value.ToUpperInvariant() is "Z" ? "+00:00" : match.Groups["z"].Value);
        return DateTimeOffset.TryParseExact(
            normalized,
            ["yyyy-MM-dd'T'HH:mm:sszzz", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz"],
            CultureInfo.InvariantCulture,
            DateTimeStyles.None,
            out time);
    }

    /// <summary>
    /// The form Signet emits (<c>YYYY-MM-DDTHH:MM:SS.mmmZ</c>) without a regex or an allocation; false sends every other
    /// text (and every out-of-range field) down the general path, which decides.
    /// </summary>
    private static bool TryParseMillisecondUtc(string text, out DateTimeOffset time)
    {
        time = default;
        if (text.Length != 24 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':' || text[19] != '.' || text[23] != 'Z'
            || !Digits(text, 0, 4, out var year) || !Digits(text, 5, 2, out var month) || !Digits(text, 8, 2, out var day)
            || !Digits(text, 11, 2, out var hour) || !Digits(text, 14, 2, out var minute) || !Digits(text, 17, 2, out var second)
            || !Digits(text, 20, 3, out var millisecond)
            || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        time = new DateTimeOffset(year, month, day, hour, minute, second, millisecond, TimeSpan.Zero);
        return true;
    }

    private static bool Digits(string text, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            var digit = text[i] - '0';
            if ((uint)digit > 9)
            {
                return false;
            }

            value = (value * 10) + digit;
        }

        return true;
    }

    [GeneratedRegex("^sha256:[0-9a-f]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex HashPattern();

    [GeneratedRegex(@"^(?<dt>[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2})(?<f>\.[0-9]{1,9})?(?<z>[Zz]|[+-][0-9]{2}:[0-9]{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex TimestampPattern();
}
