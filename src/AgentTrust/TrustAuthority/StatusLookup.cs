using System.Text.Json.Nodes;
using AgentTrust.Errors;

using AgentTrust.Mcps.Passports;

namespace AgentTrust.TrustAuthority;

/// <summary>The answer of <see cref="TrustAuthorityClient.GetStatusAsync"/>.</summary>
public sealed class StatusLookup
{
    /// <summary>True when a status is available (live, cached, or failed open).</summary>
    public required bool IsAvailable { get; init; }

    /// <summary>The status; <see cref="PassportStatusKind.Unknown"/> when none is available or the authority does not know the passport.</summary>
    public PassportStatusKind Status { get; init; } = PassportStatusKind.Unknown;

    /// <summary>The current trust level at the authority; null when unknown.</summary>
    public int? TrustLevel { get; init; }

    /// <summary>When the authority produced the answer.</summary>
    public DateTimeOffset? CheckedAt { get; init; }

    /// <summary>Until when the authority vouches for the answer.</summary>
    public DateTimeOffset? ValidUntil { get; init; }

    /// <summary>True when the answer came from the cache.</summary>
    public bool FromCache { get; init; }

    /// <summary>True when the authority was unreachable and the fail-open policy produced this answer without a status.</summary>
    public bool FailedOpen { get; init; }

    /// <summary>MCPS code when no status is available (MCPS-007 when unreachable under a closed policy).</summary>
    public McpsCode? Code { get; init; }

    /// <summary>Reason string when no status is available.</summary>
    public string? Reason { get; init; }

    /// <summary>The signed status document as received.</summary>
    public JsonObject? Document { get; init; }
}
