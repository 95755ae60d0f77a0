using AgentTrust.Mcps.Passports;

namespace AgentTrust.TrustAuthority;

/// <summary>Wire names of <see cref="PassportStatusKind"/> in Trust Authority documents.</summary>
public static class PassportStatusNames
{
    /// <summary>The name in <c>GET /v1/passports/{id}/status</c>: VALID, REVOKED, EXPIRED, UNKNOWN.</summary>
    public static string ToStatusName(this PassportStatusKind kind) => kind switch
    {
        PassportStatusKind.Active => "VALID",
        PassportStatusKind.Revoked => "REVOKED",
        PassportStatusKind.Expired => "EXPIRED",
        _ => "UNKNOWN",
    };

    /// <summary>The name in stapled status and status objects (mcps.md §7.5): active, revoked, expired, unknown.</summary>
    public static string ToStapleName(this PassportStatusKind kind) => kind switch
    {
        PassportStatusKind.Active => "active",
        PassportStatusKind.Revoked => "revoked",
        PassportStatusKind.Expired => "expired",
        _ => "unknown",
    };

    /// <summary>Parses either form; false for anything else.</summary>
    public static bool TryParse(string? text, out PassportStatusKind kind)
    {
        kind = text switch
        {
            "VALID" or "active" => PassportStatusKind.Active,
            "REVOKED" or "revoked" => PassportStatusKind.Revoked,
            "EXPIRED" or "expired" => PassportStatusKind.Expired,
            _ => PassportStatusKind.Unknown,
        };
        return text is "VALID" or "active" or "REVOKED" or "revoked" or "EXPIRED" or "expired" or "UNKNOWN" or "unknown";
    }
}
