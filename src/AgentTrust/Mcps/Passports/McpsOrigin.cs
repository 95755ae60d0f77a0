using System.Diagnostics.CodeAnalysis;
using AgentTrust.Errors;

namespace AgentTrust.Mcps.Passports;

/// <summary>
/// A serialized web origin <c>scheme://host[:port]</c> (no userinfo, path, query or fragment). Equality follows
/// WHATWG: scheme and host compare case-insensitively and a default port equals its absence
/// (<c>https://a.example:443</c> ≡ <c>https://a.example</c>).
/// </summary>
public sealed class McpsOrigin : IEquatable<McpsOrigin>
{
    private McpsOrigin(string scheme, string host, int port)
    {
        Scheme = scheme;
        Host = host;
        Port = port;
    }

    /// <summary>The scheme, lowercase.</summary>
    public string Scheme { get; }

    /// <summary>The host, lowercase (IDN in its ASCII form).</summary>
    public string Host { get; }

    /// <summary>The effective port (the scheme's default when none is written).</summary>
    public int Port { get; }

    /// <summary>
    /// Parses an origin. A single trailing <c>/</c> is tolerated; userinfo, any other path, a query, a fragment,
    /// whitespace and schemes other than http/https/wss/ws are refused.
    /// </summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out McpsOrigin? origin)
    {
        origin = null;
        if (string.IsNullOrEmpty(text) || text.Length > 2048 || text.AsSpan().IndexOfAny(" \t\r\n\\@?#") >= 0)
        {
            return false;
        }

        var separator = text.IndexOf("://", StringComparison.Ordinal);
        if (separator <= 0)
        {
            return false;
        }

        var authority = text.AsSpan(separator + 3);
        if (authority.EndsWith("/"))
        {
            authority = authority[..^1];
        }

        if (authority.IsEmpty || authority.Contains('/'))
        {
            return false;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http" or "wss" or "ws")
            || !string.IsNullOrEmpty(uri.UserInfo) || uri.AbsolutePath != "/" || uri.Query.Length != 0 || uri.Fragment.Length != 0
            || string.IsNullOrEmpty(uri.IdnHost))
        {
            return false;
        }

        origin = new McpsOrigin(uri.Scheme.ToLowerInvariant(), uri.IdnHost.ToLowerInvariant(), uri.Port);
        return true;
    }

    /// <summary>
    /// Checks a passport's origin against the expected one: both must parse and be equal; otherwise MCPS-011
    /// <c>origin_mismatch</c> (a passport without an origin never matches an expected origin).
    /// </summary>
    public static McpsFailure? Check(string? passportOrigin, string expectedOrigin) =>
        TryParse(passportOrigin, out var actual) && TryParse(expectedOrigin, out var expected) && actual.Equals(expected)
            ? null
            : new McpsFailure(McpsCode.OriginMismatch, McpsReasons.OriginMismatch);

    /// <inheritdoc />
    public bool Equals(McpsOrigin? other) =>
        other is not null && Scheme == other.Scheme && Host == other.Host && Port == other.Port;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is McpsOrigin other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Scheme, Host, Port);

    /// <summary>The serialized form, with the port only when it is not the default.</summary>
    public override string ToString()
    {
        var isDefault = (Scheme is "https" or "wss" && Port == 443) || (Scheme is "http" or "ws" && Port == 80);
        return isDefault ? $"{Scheme}://{Host}" : $"{Scheme}://{Host}:{Port}";
    }
}
