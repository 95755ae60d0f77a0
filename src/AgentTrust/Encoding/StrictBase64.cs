using System.Buffers.Text;

namespace AgentTrust.Encoding;

/// <summary>
/// Strict base64 decoding: one byte string has exactly one accepted text form. Standard base64 needs the standard
/// alphabet, <c>=</c> padding and zero unused bits; base64url (RFC 7515 §2) needs the URL alphabet, no padding
/// and zero unused bits. Whitespace is never accepted. Decoding re-encodes and compares, so no lenient form passes.
/// </summary>
public static class StrictBase64
{
    /// <summary>Decodes canonical standard base64 (with padding). Returns false for every other form.</summary>
    public static bool TryDecode(string? text, out byte[] bytes)
    {
        bytes = [];
        if (text is null || text.Length % 4 != 0)
        {
            return false;
        }

        var buffer = new byte[text.Length / 4 * 3];
        if (!Convert.TryFromBase64String(text, buffer, out var written))
        {
            return false;
        }

        var decoded = buffer.AsSpan(0, written).ToArray();
        if (!string.Equals(Convert.ToBase64String(decoded), text, StringComparison.Ordinal))
        {
            return false;
        }

        bytes = decoded;
        return true;
    }

    /// <summary>Decodes canonical standard base64 that must be exactly <paramref name="expectedLength"/> bytes long.</summary>
    public static bool TryDecode(string? text, int expectedLength, out byte[] bytes)
    {
        if (TryDecode(text, out bytes) && bytes.Length == expectedLength)
        {
            return true;
        }

        bytes = [];
        return false;
    }

    /// <summary>Encodes standard base64 with padding.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes);

    /// <summary>Decodes canonical unpadded base64url. Returns false for padding, whitespace, the standard alphabet or stray bits.</summary>
    public static bool TryDecodeUrl(ReadOnlySpan<char> text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length % 4 == 1 || text.IndexOfAnyExcept(UrlAlphabet) >= 0)
        {
            return false;
        }

        var buffer = new byte[Base64Url.GetMaxDecodedLength(text.Length)];
        int written;
        try
        {
            // Base64Url.TryDecodeFromChars throws FormatException (rather than returning false) for some inputs,
            // for example a final quantum with non-zero unused bits; a strict decoder must only say no.
            if (!Base64Url.TryDecodeFromChars(text, buffer, out written))
            {
                return false;
            }
        }
        catch (FormatException)
        {
            return false;
        }

        var decoded = buffer.AsSpan(0, written).ToArray();
        if (!text.SequenceEqual(Base64Url.EncodeToString(decoded)))
        {
            return false;
        }

        bytes = decoded;
        return true;
    }

    /// <summary>Decodes canonical unpadded base64url that must be exactly <paramref name="expectedLength"/> bytes long.</summary>
    public static bool TryDecodeUrl(ReadOnlySpan<char> text, int expectedLength, out byte[] bytes)
    {
        if (TryDecodeUrl(text, out bytes) && bytes.Length == expectedLength)
        {
            return true;
        }

        bytes = [];
        return false;
    }

    /// <summary>Encodes unpadded base64url.</summary>
    public static string EncodeUrl(ReadOnlySpan<byte> bytes) => Base64Url.EncodeToString(bytes);

    private static readonly System.Buffers.SearchValues<char> UrlAlphabet =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
}
