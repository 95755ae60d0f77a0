using System.Globalization;

namespace AgentTrust.TrustAuthority;

/// <summary>Timestamps in Trust Authority documents: <c>YYYY-MM-DDTHH:MM:SS.mmmZ</c> (mcps.md §4 emission form).</summary>
public static class AuthorityTimestamps
{
    private const string Pattern = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    /// <summary>Formats a UTC instant with millisecond precision.</summary>
    public static string Format(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString(Pattern, CultureInfo.InvariantCulture);

    /// <summary>Truncates an instant to whole milliseconds (what <see cref="Format(DateTimeOffset)"/> keeps).</summary>
    public static DateTimeOffset Truncate(DateTimeOffset instant) =>
        DateTimeOffset.FromUnixTimeMilliseconds(instant.ToUnixTimeMilliseconds());

    /// <summary>Parses the strict emission form or an RFC 3339 UTC instant with 0–7 fraction digits; false otherwise.</summary>
    public static bool TryParse(string? text, out DateTimeOffset instant)
    {
        instant = default;
        if (text is null || text.Length < 20 || text.Length > 30 || text[^1] != 'Z' || text[10] != 'T')
        {
            return false;
        }

        return DateTimeOffset.TryParseExact(
            text,
            ["yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'"],
            CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
            out instant);
    }
}
