using System.Globalization;

namespace AgentTrust.Json.Canonical;

/// <summary>
/// ECMAScript <c>Number::toString</c> (ECMA-262 §6.1.6.1.20, RFC 8785 §3.2.2.3) for finite doubles.
/// The shortest round-trip digits come from .NET's own formatter (shortest, correctly rounded since .NET Core 3.0);
/// this type only re-lays them out with the ECMAScript rules.
/// </summary>
internal static class EcmaScriptNumberFormatter
{
    /// <summary>Enough for every finite double ("-1.7976931348623157e+308" and "-0.0000033333333333333333").</summary>
    public const int MaxLength = 32;

    /// <summary>Writes the ECMAScript form of <paramref name="value"/>; the caller guarantees it is finite.</summary>
    /// <returns>The number of bytes written (at most <see cref="MaxLength"/>).</returns>
    public static int Format(double value, Span<byte> destination) => Format(value, destination, exactOnly: false);

    /// <summary>As <see cref="Format(double, Span{byte})"/>; <paramref name="exactOnly"/> always uses exact arithmetic (tests).</summary>
    internal static int Format(double value, Span<byte> destination, bool exactOnly)
    {
        if (value == 0)
        {
            // +0 and −0 both print as "0".
            destination[0] = (byte)'0';
            return 1;
        }

        Span<byte> digits = stackalloc byte[32];
        var k = exactOnly ? ExactShortestDigits.Compute(value, digits, out var n) : ShortestDigits(value, digits, out n);
        ReadOnlySpan<byte> s = digits[..k];
        var negative = value < 0;
        var o = 0;
        if (negative)
        {
            destination[o++] = (byte)'-';
        }

        if (k <= n && n <= 21)
        {
            s.CopyTo(destination[o..]);
            o += k;
            destination.Slice(o, n - k).Fill((byte)'0');
            return o + n - k;
        }

        if (0 < n && n <= 21)
        {
            s[..n].CopyTo(destination[o..]);
            o += n;
            destination[o++] = (byte)'.';
            s[n..].CopyTo(destination[o..]);
            return o + k - n;
        }

        if (-6 < n && n <= 0)
        {
            destination[o++] = (byte)'0';
            destination[o++] = (byte)'.';
            destination.Slice(o, -n).Fill((byte)'0');
            o += -n;
            s.CopyTo(destination[o..]);
            return o + k;
        }

        destination[o++] = s[0];
        if (k > 1)
        {
            destination[o++] = (byte)'.';
            s[1..].CopyTo(destination[o..]);
            o += k - 1;
        }

        destination[o++] = (byte)'e';
        var e = n - 1;
        destination[o++] = e < 0 ? (byte)'-' : (byte)'+';
        e = Math.Abs(e);
        e.TryFormat(destination[o..], out var written, default, CultureInfo.InvariantCulture);
        return o + written;
    }

    /// <summary>Digits and point position of a non-zero finite value: value = 0.d1…dk × 10^n.</summary>
    internal static int ShortestDigits(double value, Span<byte> digits, out int n)
    {
        Span<byte> shortest = stackalloc byte[40];
        if (!value.TryFormat(shortest, out var shortestLength, "R", CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException("double formatting exceeded its buffer");
        }

        // .NET's shortest text is wrong for some powers of two (lopsided rounding interval): check those, and fall
        // back to exact arithmetic when the text does not read back as the value.
        var isPowerOfTwo = (BitConverter.DoubleToInt64Bits(value) & 0xF_FFFF_FFFF_FFFF) == 0;
        if (isPowerOfTwo && double.Parse(shortest[..shortestLength], NumberStyles.Float, CultureInfo.InvariantCulture) != value)
        {
            return ExactShortestDigits.Compute(value, digits, out n);
        }

        // Decompose .NET's text (e.g. "-1.2345E-07", "123.45", "0.0001", "1E+21") into digits and a decimal exponent.
        var digitCount = 0;
        var pointPosition = -1;
        var exponent = 0;
        var i = shortest[0] == (byte)'-' ? 1 : 0;
        for (; i < shortestLength; i++)
        {
            var c = shortest[i];
            if (c == (byte)'.')
            {
                pointPosition = digitCount;
            }
            else if (c is (byte)'E' or (byte)'e')
            {
                exponent = int.Parse(shortest[(i + 1)..shortestLength], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                break;
            }
            else
            {
                digits[digitCount++] = c;
            }
        }

        if (pointPosition < 0)
        {
            pointPosition = digitCount;
        }

        // Strip leading zeros ("0.0001" → "1" with the point moved) and trailing zeros ("100" → "1", point kept).
        var first = 0;
        while (first < digitCount - 1 && digits[first] == (byte)'0')
        {
            first++;
            pointPosition--;
        }

        var last = digitCount;
        while (last > first + 1 && digits[last - 1] == (byte)'0')
        {
            last--;
        }

        if (first > 0)
        {
            digits[first..last].CopyTo(digits);
        }

        n = pointPosition + exponent;
        return last - first;
    }
}
