using System.Globalization;

namespace AgentTrust.Mcps;

/// <summary>
/// MCPS timestamps: emitted as <c>YYYY-MM-DDTHH:MM:SS.mmmZ</c> (24 characters, the JavaScript <c>toISOString</c> form);
/// accepted only as <c>^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$</c> naming a real calendar instant (mcps.md §4).
/// </summary>
public static class McpsTimestamp
{
    /// <summary>Formats an instant in the emitted form (UTC, milliseconds).</summary>
    public static string Format(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Parses the strict input grammar. Offsets, date-only forms, lower-case separators, leap seconds and other calendars are refused.</summary>
    public static bool TryParse(string? text, out DateTimeOffset instant)
    {
        instant = default;
        if (text is null || text.Length < 20 || text.Length > 30)
        {
            return false;
        }

        var s = text.AsSpan();
        if (!Digits(s, 0, 4) || s[4] != '-' || !Digits(s, 5, 2) || s[7] != '-' || !Digits(s, 8, 2) || s[10] != 'T'
            || !Digits(s, 11, 2) || s[13] != ':' || !Digits(s, 14, 2) || s[16] != ':' || !Digits(s, 17, 2) || s[^1] != 'Z')
        {
            return false;
        }

        long fractionTicks = 0;
        if (s.Length != 20)
        {
            var fraction = s[19..^1];
            if (fraction.Length < 2 || fraction[0] != '.' || fraction.Length > 10 || !Digits(fraction, 1, fraction.Length - 1))
            {
                return false;
            }

            // Up to 9 digits; ticks are 100 ns, so digits beyond the 7th are truncated (never rounded up past a second).
            var digits = fraction[1..];
            for (var i = 0; i < 7; i++)
            {
                fractionTicks = fractionTicks * 10 + (i < digits.Length ? digits[i] - '0' : 0);
            }
        }

        var year = Number(s, 0, 4);
        var month = Number(s, 5, 2);
        var day = Number(s, 8, 2);
        var hour = Number(s, 11, 2);
        var minute = Number(s, 14, 2);
        var second = Number(s, 17, 2);
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        instant = new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero).AddTicks(fractionTicks);
        return true;
    }

    private static bool Digits(ReadOnlySpan<char> s, int start, int count)
    {
        for (var i = start; i < start + count; i++)
        {
            if (s[i] is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }

    private static int Number(ReadOnlySpan<char> s, int start, int count)
    {
        var value = 0;
        for (var i = start; i < start + count; i++)
        {
            value = value * 10 + (s[i] - '0');
        }

        return value;
    }
}
