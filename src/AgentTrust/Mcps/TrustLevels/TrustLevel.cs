using AgentTrust.Errors;

namespace AgentTrust.Mcps.TrustLevels;

/// <summary>The graduated trust levels (mcps.md §8).</summary>
public enum TrustLevel
{
    /// <summary>L0 Unsigned: no envelope, self-signed passport, or a chain that does not reach an anchor.</summary>
    Unsigned = 0,

    /// <summary>L1 Identified: registered with proof of key possession; passport issued by an anchor.</summary>
    Identified = 1,

    /// <summary>L2 Verified: identity verified by the operator and revocation status checked and active.</summary>
    Verified = 2,

    /// <summary>L3 Scanned: security scan, sanctions screening, behavioural baseline.</summary>
    Scanned = 3,

    /// <summary>L4 Audited: manual audit by the Trust Authority.</summary>
    Audited = 4,
}

/// <summary>The minimum-level check.</summary>
public static class TrustLevels
{
    /// <summary>Null when <paramref name="effective"/> ≥ <paramref name="minimum"/>; else MCPS-009.</summary>
    public static McpsFailure? RequireMinimum(int effective, TrustLevel minimum) =>
        effective >= (int)minimum ? null : new McpsFailure(McpsCode.InsufficientTrust, McpsReasons.InsufficientTrust);

    /// <summary>The level as <c>L0</c>…<c>L4</c>.</summary>
    public static string ToShortName(this TrustLevel level) => $"L{(int)level}";

    /// <summary>Parses <c>0</c>…<c>4</c> or <c>L0</c>…<c>L4</c>.</summary>
    public static bool TryParse(string? text, out TrustLevel level)
    {
        level = TrustLevel.Unsigned;
        var s = text is { Length: 2 } && (text[0] == 'L' || text[0] == 'l') ? text[1..] : text;
        if (s is { Length: 1 } && s[0] is >= '0' and <= '4')
        {
            level = (TrustLevel)(s[0] - '0');
            return true;
        }

        return false;
    }
}
