using System.Text;

namespace AgentTrust.Replay;

/// <summary>
/// The checks every store applies to a registration before touching storage: bounded, well-formed strings and an
/// expiry in the future. Shared so the three backends refuse exactly the same requests.
/// </summary>
public static class ReplayKeyRules
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// True when <paramref name="partition"/> and <paramref name="value"/> are non-empty, free of NUL, well-formed
    /// UTF-16 and within the byte limits of <paramref name="options"/>, and <paramref name="expiresAt"/> is after
    /// <paramref name="now"/>. Length is bounded before anything proportional to the input is done.
    /// </summary>
    /// <param name="partition">The partition.</param>
    /// <param name="value">The value.</param>
    /// <param name="expiresAt">The requested expiry.</param>
    /// <param name="now">The store's current time.</param>
    /// <param name="options">The limits.</param>
    /// <returns>Whether the request may go to storage.</returns>
    public static bool IsAcceptable(string? partition, string? value, DateTimeOffset expiresAt, DateTimeOffset now, ReplayStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return IsAcceptableString(partition, options.MaxPartitionBytes)
            && IsAcceptableString(value, options.MaxValueBytes)
            && expiresAt > now;
    }

    /// <summary>
    /// True when <paramref name="holder"/> is null, or non-empty, free of NUL, well-formed UTF-16 and within the
    /// partition byte limit of <paramref name="options"/>.
    /// </summary>
    /// <param name="holder">The holder to record.</param>
    /// <param name="options">The limits.</param>
    /// <returns>Whether the holder may go to storage.</returns>
    public static bool IsAcceptableHolder(string? holder, ReplayStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return holder is null || IsAcceptableString(holder, options.MaxPartitionBytes);
    }

    /// <summary>
    /// <paramref name="instant"/> in Unix milliseconds, rounded up, so that a store keeping milliseconds never shortens
    /// the window the caller asked for (used for expiries and restart fences).
    /// </summary>
    /// <param name="instant">The instant.</param>
    /// <returns>The first whole millisecond at or after it.</returns>
    public static long ToUnixMillisecondsCeiling(DateTimeOffset instant)
    {
        var ms = instant.ToUnixTimeMilliseconds();
        return DateTimeOffset.FromUnixTimeMilliseconds(ms) < instant ? ms + 1 : ms;
    }

    private static bool IsAcceptableString(string? text, int maxBytes)
    {
        // A UTF-16 code unit encodes to at least one UTF-8 byte: reject on char length first, so an absurd
        // input costs nothing.
        if (string.IsNullOrEmpty(text) || text.Length > maxBytes || text.Contains('\0', StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            // Strict: a lone surrogate throws instead of becoming U+FFFD (two different keys must not collide).
            return StrictUtf8.GetByteCount(text) <= maxBytes;
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }
}
