using System.Globalization;
using System.Numerics;

namespace AgentTrust.Json.Canonical;

/// <summary>Number literals under a <see cref="JsonNumberProfile"/>: which are admitted and how they print.</summary>
internal static class JcsNumbers
{
    /// <summary>Integer literals with at most this many digits are below 2^53 and print as themselves.</summary>
    public const int VerbatimIntegerDigits = 15;

    /// <summary>A literal with more integer digits than this is at least 10^309 and overflows a double.</summary>
    private const int MaxFiniteIntegerDigits = 309;

    private static readonly BigInteger TwoTo53 = BigInteger.One << 53;
    private static readonly BigInteger TwoTo63 = BigInteger.One << 63;
    private static readonly BigInteger TwoTo64Minus1 = (BigInteger.One << 64) - 1;

    /// <summary>
    /// Checks a grammatically valid literal. <paramref name="isInteger"/>: no fraction and no exponent;
    /// <paramref name="integerDigits"/>: the digits before the point or exponent (without the sign).
    /// </summary>
    /// <returns>Null when admitted (with <paramref name="verbatim"/> or the nearest double); else the rejection message.</returns>
    public static string? Check(ReadOnlySpan<byte> literal, bool isInteger, int integerDigits, JsonNumberProfile profile, out bool verbatim, out double value)
    {
        value = 0;
        verbatim = false;
        if (isInteger && integerDigits <= VerbatimIntegerDigits)
        {
            verbatim = true;
            return null;
        }

        if (isInteger && integerDigits > MaxFiniteIntegerDigits)
        {
            return "number literal overflows a double";
        }

        if (!double.TryParse(literal, NumberStyles.Float, CultureInfo.InvariantCulture, out value) || !double.IsFinite(value))
        {
            return "number literal overflows a double";
        }

        if (!isInteger || profile == JsonNumberProfile.Rfc8785)
        {
            return null;
        }

        var exact = ParseInteger(literal);
        if (profile == JsonNumberProfile.ExactIntegers)
        {
            return new BigInteger(value) == exact ? null : "integer literal is not exactly representable as a double";
        }

        var inU64Band = exact >= TwoTo53 && exact <= TwoTo64Minus1;
        var inI64Band = exact <= -TwoTo53 && exact >= -TwoTo63;
        return inU64Band || inI64Band ? "integer literal in the 64-bit range beyond 2^53 (Signet rejects it)" : null;
    }

    /// <summary>Writes the canonical form of an admitted literal.</summary>
    public static void Write(ref JcsOutput output, scoped ReadOnlySpan<byte> literal, bool verbatim, double value)
    {
        if (verbatim)
        {
            if (literal.Length == 2 && literal[0] == (byte)'-' && literal[1] == (byte)'0')
            {
                output.WriteByte((byte)'0');
            }
            else
            {
                output.Write(literal);
            }

            return;
        }

        var span = output.GetSpan(EcmaScriptNumberFormatter.MaxLength);
        output.Advance(EcmaScriptNumberFormatter.Format(value, span));
    }

    /// <summary>Scans a number literal by the JSON grammar starting at <paramref name="start"/>.</summary>
    /// <returns>The index after the literal, or −1 with <paramref name="errorAt"/> when the grammar is violated.</returns>
    public static int Scan(ReadOnlySpan<byte> input, int start, out bool isInteger, out int integerDigits, out int errorAt)
    {
        isInteger = true;
        integerDigits = 0;
        errorAt = -1;
        var i = start;
        if (i < input.Length && input[i] == (byte)'-')
        {
            i++;
        }

        var digitsStart = i;
        if (i < input.Length && input[i] == (byte)'0')
        {
            i++;
        }
        else if (i < input.Length && input[i] - (uint)'1' <= 8)
        {
            i++;
            while (i < input.Length && IsDigit(input[i]))
            {
                i++;
            }
        }
        else
        {
            errorAt = i;
            return -1;
        }

        integerDigits = i - digitsStart;
        if (i < input.Length && input[i] == (byte)'.')
        {
            isInteger = false;
            i++;
            if (i >= input.Length || !IsDigit(input[i]))
            {
                errorAt = i;
                return -1;
            }

            while (i < input.Length && IsDigit(input[i]))
            {
                i++;
            }
        }

        if (i < input.Length && (input[i] | 0x20) == (byte)'e')
        {
            isInteger = false;
            i++;
            if (i < input.Length && input[i] is (byte)'+' or (byte)'-')
            {
                i++;
            }

            if (i >= input.Length || !IsDigit(input[i]))
            {
                errorAt = i;
                return -1;
            }

            while (i < input.Length && IsDigit(input[i]))
            {
                i++;
            }
        }

        return i;
    }

    private static bool IsDigit(byte c) => c - (uint)'0' <= 9;

    private static BigInteger ParseInteger(ReadOnlySpan<byte> literal)
    {
        // At most 310 bytes here (sign and 309 digits), so the stack copy is small.
        Span<char> chars = stackalloc char[literal.Length];
        for (var i = 0; i < literal.Length; i++)
        {
            chars[i] = (char)literal[i];
        }

        return BigInteger.Parse(chars, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
    }
}
