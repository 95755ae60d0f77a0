using System.Net;

namespace AgentTrust.Attestation;

/// <summary>The rule for issuer and JWKS URLs: <c>https://</c>, or <c>http://</c> only to a loopback host.</summary>
public static class IssuerUrl
{
    /// <summary>True when <paramref name="url"/> is an absolute https URL, or http to <c>localhost</c>, 127.0.0.0/8 or ::1.</summary>
    public static bool IsAcceptable(string? url, out string? reason)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || !string.IsNullOrEmpty(uri.UserInfo) || !string.IsNullOrEmpty(uri.Fragment))
        {
            reason = "not an absolute URL without userinfo or fragment";
            return false;
        }

        if (uri.Scheme == Uri.UriSchemeHttps)
        {
            reason = null;
            return true;
        }

        if (uri.Scheme == Uri.UriSchemeHttp && IsLoopback(uri))
        {
            reason = null;
            return true;
        }

        reason = "HTTPS is required (plain http only for loopback)";
        return false;
    }

    /// <summary>True for <c>localhost</c>, 127.0.0.0/8 and ::1.</summary>
    public static bool IsLoopback(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
    }
}
