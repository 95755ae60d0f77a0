using System.Globalization;
using System.Numerics;

namespace AgentTrust.Json.Canonical;

/// <summary>
/// The digits ECMAScript <c>Number::toString</c> requires, computed with exact arithmetic: the fewest digits
/// <c>s</c> such that <c>s × 10^(n−k)</c> reads back as the value (round half to even, so the ends of the rounding
/// interval count when the significand is even), and of those the one closest to the value (ties: even).
/// Slow (BigInteger), so <see cref="EcmaScriptNumberFormatter"/> uses it only where .NET's shortest formatter cannot
/// be trusted: powers of two, whose rounding interval is lopsided (.NET prints e.g. 2^-25 as
/// 2.980232238769531E-08, which does not read back as 2^-25).
/// </summary>
internal static class ExactShortestDigits
{
    /// <summary>Writes the digits of a finite, non-zero value.</summary>
    /// <returns>The number of digits <c>k</c>; <paramref name="n"/> places the decimal point (value = 0.d1…dk × 10^n).</returns>
    public static int Compute(double value, Span<byte> digits, out int n)
    {
        var bits = BitConverter.DoubleToInt64Bits(Math.Abs(value));
        var biasedExponent = (int)(bits >> 52) & 0x7FF;
        var fraction = bits & 0xF_FFFF_FFFF_FFFF;
        long significand;
        int e;
        var lopsided = false;
        if (biasedExponent == 0)
        {
            significand = fraction;
            e = -1074;
        }
        else
        {
            significand = fraction | (1L << 52);
            e = biasedExponent - 1075;
            lopsided = fraction == 0 && biasedExponent > 1;
        }

        // In units of 2^(e−2): the value, and the ends of the interval of reals that round to it.
        var v = new BigInteger(significand) * 4;
        var low = lopsided ? v - 1 : v - 2;
        var high = v + 2;
        var inclusive = (significand & 1) == 0;

        var exponent = (int)Math.Floor(Math.Log10(Math.Abs(value)));
        while (Compare(BigInteger.One, exponent, v, e) > 0)
        {
            exponent--;
        }

        while (Compare(BigInteger.One, exponent + 1, v, e) <= 0)
        {
            exponent++;
        }

        for (var precision = 1; ; precision++)
        {
            var q = exponent - precision + 1;
            Scale(q, e, out var a, out var b);
            var vb = v * b;
            var floor = BigInteger.DivRem(vb, a, out var remainder);
            BigInteger chosen;
            if (remainder.IsZero)
            {
                chosen = floor;
            }
            else
            {
                var ceiling = floor + 1;
                var floorInside = Inside(floor * a, low * b, high * b, inclusive);
                var ceilingInside = Inside(ceiling * a, low * b, high * b, inclusive);
                if (!floorInside && !ceilingInside)
                {
                    continue;
                }

                if (floorInside && ceilingInside)
                {
                    var below = vb - (floor * a);
                    var above = (ceiling * a) - vb;
                    var order = below.CompareTo(above);
                    chosen = order < 0 ? floor : order > 0 ? ceiling : (floor.IsEven ? floor : ceiling);
                }
                else
                {
                    chosen = floorInside ? floor : ceiling;
                }
            }

            var text = chosen.ToString(CultureInfo.InvariantCulture);
            var k = text.Length;
            while (k > 1 && text[k - 1] == '0')
            {
                k--;
            }

            for (var i = 0; i < k; i++)
            {
                digits[i] = (byte)text[i];
            }

            n = text.Length + q;
            return k;
        }
    }

    private static bool Inside(BigInteger candidate, BigInteger low, BigInteger high, bool inclusive) => inclusive
        ? candidate >= low && candidate <= high
        : candidate > low && candidate < high;

    /// <summary>Sign of m × 10^q − v × 2^(e−2), with v in units of 2^(e−2).</summary>
    private static int Compare(BigInteger m, int q, BigInteger v, int e)
    {
        Scale(q, e, out var a, out var b);
        return (m * a).CompareTo(v * b);
    }

    /// <summary>Integer multipliers so that m × 10^q ⋛ v × 2^(e−2) becomes m × a ⋛ v × b.</summary>
    private static void Scale(int q, int e, out BigInteger a, out BigInteger b)
    {
        a = BigInteger.Pow(10, Math.Max(q, 0)) << Math.Max(2 - e, 0);
        b = BigInteger.Pow(10, Math.Max(-q, 0)) << Math.Max(e - 2, 0);
    }
}
