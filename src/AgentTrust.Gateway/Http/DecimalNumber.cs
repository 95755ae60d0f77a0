namespace AgentTrust.Gateway.Http;

/// <summary>
/// The exact value of a JSON number's text (RFC 8259 §6 grammar): its sign, its significant digits without leading or
/// trailing zeros, and a power of ten. Equal values are equal however they were written (<c>100</c>, <c>1e2</c>,
/// <c>1.00E+2</c>; <c>-0</c> and <c>0</c>), and no value is rounded.
/// </summary>
internal readonly record struct DecimalNumber(bool Negative, string Digits, long Exponent)
{
    // Plain decimal text is written only up to this many zeros; beyond it a number is left as the body wrote it.
    private const int MaxPlainZeros = 64;

    /// <summary>Reads JSON number text; false for anything else (words such as <c>Infinity</c>, hex, spaces, a plus sign).</summary>
    public static bool TryParse(string text, out DecimalNumber number)
    {
        number = default;
        var i = 0;
        var negative = i < text.Length && text[i] == '-';
        if (negative)
        {
            i++;
        }

        var integerStart = i;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }

        var integer = text[integerStart..i];
        if (integer.Length == 0 || (integer.Length > 1 && integer[0] == '0'))
        {
            return false;
        }

        var fraction = string.Empty;
        if (i < text.Length && text[i] == '.')
        {
            var fractionStart = ++i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            fraction = text[fractionStart..i];
            if (fraction.Length == 0)
            {
                return false;
            }
        }

        long exponent = 0;
        if (i < text.Length && text[i] is 'e' or 'E')
        {
            i++;
            var exponentNegative = i < text.Length && text[i] == '-';
            if (i < text.Length && text[i] is '+' or '-')
            {
                i++;
            }

            var exponentStart = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            if (i == exponentStart)
            {
                return false;
            }

            // Up to 18 significant digits always fits a long; a larger exponent is no number anyone means.
            var exponentDigits = text.AsSpan(exponentStart, i - exponentStart).TrimStart('0');
            if (exponentDigits.Length > 18)
            {
                return false;
            }

            exponent = exponentDigits.IsEmpty ? 0 : long.Parse(exponentDigits, System.Globalization.CultureInfo.InvariantCulture);
            exponent = exponentNegative ? -exponent : exponent;
        }

        if (i != text.Length)
        {
            return false;
        }

        var digits = (integer + fraction).TrimStart('0');
        exponent -= fraction.Length;
        var trimmed = digits.TrimEnd('0');
        exponent += digits.Length - trimmed.Length;
        number = trimmed.Length == 0 ? new DecimalNumber(false, string.Empty, 0) : new DecimalNumber(negative, trimmed, exponent);
        return true;
    }

    /// <summary>The value in plain decimal notation (<c>100</c>, <c>-0.025</c>); null when that would need too many zeros.</summary>
    public string? ToPlainString()
    {
        if (Digits.Length == 0)
        {
            return "0";
        }

        var sign = Negative ? "-" : string.Empty;
        if (Exponent >= 0)
        {
            return Exponent <= MaxPlainZeros ? sign + Digits + new string('0', (int)Exponent) : null;
        }

        var decimals = -Exponent;
        if (decimals < Digits.Length)
        {
            return sign + Digits[..(int)(Digits.Length - decimals)] + "." + Digits[(int)(Digits.Length - decimals)..];
        }

        return decimals - Digits.Length <= MaxPlainZeros ? sign + "0." + new string('0', (int)(decimals - Digits.Length)) + Digits : null;
    }
}
