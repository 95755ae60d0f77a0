namespace AgentTrust.TrustAuthority;

/// <summary>The status of a passport at the Trust Authority.</summary>
public enum PassportStatusKind
{
    /// <summary>Registered, not revoked, not expired (<c>VALID</c>; <c>active</c> in staples).</summary>
    Valid,

    /// <summary>Revoked (<c>REVOKED</c>; <c>revoked</c> in staples).</summary>
    Revoked,

    /// <summary>Past its <c>expires_at</c> (<c>EXPIRED</c>; <c>expired</c> in staples).</summary>
    Expired,

    /// <summary>Not known to this authority (<c>UNKNOWN</c>; <c>unknown</c> in staples).</summary>
    Unknown,
}

/// <summary>Wire names of <see cref="PassportStatusKind"/>.</summary>
public static class PassportStatusKinds
{
    /// <summary>The name in <c>GET /v1/passports/{id}/status</c>: VALID, REVOKED, EXPIRED, UNKNOWN.</summary>
    public static string ToStatusName(this PassportStatusKind kind) => kind switch
    {
        PassportStatusKind.Valid => "VALID",
        PassportStatusKind.Revoked => "REVOKED",
        PassportStatusKind.Expired => "EXPIRED",
        _ => "UNKNOWN",
    };

    /// <summary>The name in stapled status (mcps.md §7.5): active, revoked, expired, unknown.</summary>
    public static string ToStapleName(this PassportStatusKind kind) => kind switch
    {
        PassportStatusKind.Valid => "active",
        PassportStatusKind.Revoked => "revoked",
        PassportStatusKind.Expired => "expired",
        _ => "unknown",
    };

    /// <summary>Parses either form; false for anything else.</summary>
    public static bool TryParse(string? text, out PassportStatusKind kind)
    {
        switch (text)
        {
            case "VALID" or "active":
                kind = PassportStatusKind.Valid;
                return true;
            case "REVOKED" or "revoked":
                kind = PassportStatusKind.Revoked;
                return true;
            case "EXPIRED" or "expired":
                kind = PassportStatusKind.Expired;
                return true;
            case "UNKNOWN" or "unknown":
                kind = PassportStatusKind.Unknown;
                return true;
            default:
                kind = PassportStatusKind.Unknown;
                return false;
        }
    }
}
