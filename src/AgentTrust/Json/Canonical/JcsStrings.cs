using System.Buffers;
using System.Text;

namespace AgentTrust.Json.Canonical;

/// <summary>String primitives of RFC 8785: unescaping validated JSON string content, the JCS escape set, and the
/// UTF-16 code-unit order of member names computed directly on UTF-8.</summary>
internal static class JcsStrings
{
    /// <summary>Bytes that the JCS output must escape: C0 controls, quotation mark, reverse solidus.</summary>
    private static readonly SearchValues<byte> NeedsEscape = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f\"\\"u8);

    private static ReadOnlySpan<byte> HexDigits => "0123456789abcdef"u8;

    /// <summary>
    /// Decodes the escapes of string content that the parser has already validated (escapes well-formed, surrogate
    /// escapes paired). The result is never longer than the input.
    /// </summary>
    /// <returns>The number of UTF-8 bytes written.</returns>
    public static int Unescape(ReadOnlySpan<byte> content, Span<byte> destination)
    {
        var o = 0;
        var i = 0;
        while (i < content.Length)
        {
            var run = content[i..].IndexOf((byte)'\\');
            if (run < 0)
            {
                content[i..].CopyTo(destination[o..]);
                return o + content.Length - i;
            }

            content.Slice(i, run).CopyTo(destination[o..]);
            o += run;
            i += run;
            var e = content[i + 1];
            i += 2;
            switch (e)
            {
                case (byte)'b': destination[o++] = 0x08; break;
                case (byte)'t': destination[o++] = 0x09; break;
                case (byte)'n': destination[o++] = 0x0A; break;
                case (byte)'f': destination[o++] = 0x0C; break;
                case (byte)'r': destination[o++] = 0x0D; break;
                case (byte)'u':
                    {
                        int codePoint = ParseHex4(content.Slice(i, 4));
                        i += 4;
                        if (codePoint is >= 0xD800 and <= 0xDBFF)
                        {
                            var low = ParseHex4(content.Slice(i + 2, 4));
                            i += 6;
                            codePoint = 0x10000 + ((codePoint - 0xD800) << 10) + (low - 0xDC00);
                        }

                        o += new Rune(codePoint).EncodeToUtf8(destination[o..]);
                        break;
                    }

                default: destination[o++] = e; break; // '"', '\\', '/'
            }
        }

        return o;
    }

    /// <summary>Parses four hex digits; returns −1 when one is not a hex digit.</summary>
    public static int ParseHex4(ReadOnlySpan<byte> hex)
    {
        var value = 0;
        for (var i = 0; i < 4; i++)
        {
            var c = hex[i];
            int d = c switch
            {
                >= (byte)'0' and <= (byte)'9' => c - '0',
                >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
                _ => -1,
            };
            if (d < 0)
            {
                return -1;
            }

            value = (value << 4) | d;
        }

        return value;
    }

    /// <summary>Writes <c>"…"</c> for valid, unescaped UTF-8 text with the JCS escape set.</summary>
    public static void WriteQuoted(ref JcsOutput output, ReadOnlySpan<byte> utf8)
    {
        output.WriteByte((byte)'"');
        while (utf8.Length > 0)
        {
            var run = utf8.IndexOfAny(NeedsEscape);
            if (run < 0)
            {
                output.Write(utf8);
                break;
            }

            output.Write(utf8[..run]);
            WriteEscape(ref output, utf8[run]);
            utf8 = utf8[(run + 1)..];
        }

        output.WriteByte((byte)'"');
    }

    private static void WriteEscape(ref JcsOutput output, byte c)
    {
        var span = output.GetSpan(6);
        span[0] = (byte)'\\';
        byte shortForm = c switch
        {
            (byte)'"' => (byte)'"',
            (byte)'\\' => (byte)'\\',
            0x08 => (byte)'b',
            0x09 => (byte)'t',
            0x0A => (byte)'n',
            0x0C => (byte)'f',
            0x0D => (byte)'r',
            _ => 0,
        };
        if (shortForm != 0)
        {
            span[1] = shortForm;
            output.Advance(2);
            return;
        }

        span[1] = (byte)'u';
        span[2] = (byte)'0';
        span[3] = (byte)'0';
        span[4] = HexDigits[c >> 4];
        span[5] = HexDigits[c & 0xF];
        output.Advance(6);
    }

    /// <summary>
    /// Compares two valid UTF-8 strings in the order of their UTF-16 code units (RFC 8785 §3.2.3). Byte order equals
    /// code point order; the two orders differ only where a supplementary character (4-byte UTF-8, a surrogate pair in
    /// UTF-16) meets a character U+E000–U+FFFF (3-byte UTF-8 with lead byte EE or EF): the pair sorts first.
    /// </summary>
    public static int CompareUtf16Order(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var i = a.CommonPrefixLength(b);
        if (i == a.Length || i == b.Length)
        {
            return a.Length - b.Length;
        }

        // The common prefix ends on the same boundary in both strings, so a and b differ either in a lead byte
        // (different sequences) or in a continuation byte of sequences with the same lead byte (same length).
        int x = a[i];
        int y = b[i];
        if (x >= 0xF0 && y is 0xEE or 0xEF)
        {
            return -1;
        }

        if (y >= 0xF0 && x is 0xEE or 0xEF)
        {
            return 1;
        }

        return x - y;
    }
}
