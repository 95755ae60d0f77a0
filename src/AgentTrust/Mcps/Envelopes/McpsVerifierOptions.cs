using AgentTrust.Json;
using AgentTrust.Mcps.Passports;

namespace AgentTrust.Mcps.Envelopes;

/// <summary>
/// Verifier configuration (mcps.md §6, §7, §9.1). Two named profiles: <see cref="Default"/> and
/// <see cref="McpSecureCompat"/> (reproduces mcp-secure's pinned verdicts). Canonical base64, strict timestamps,
/// the §2 number and string rules, the <c>asp_</c> id format and the supported version are enforced in both.
/// </summary>
public sealed record McpsVerifierOptions
{
    /// <summary>The AgentTrust default profile.</summary>
    public static McpsVerifierOptions Default { get; } = new();

    /// <summary>The mcp-secure 1.x compatibility profile: high-S accepted, ±300 s window, no <c>passport:issue</c> requirement, no lifetime cap.</summary>
    public static McpsVerifierOptions McpSecureCompat { get; } = new()
    {
        AcceptHighS = true,
        MaxFutureSkew = TimeSpan.FromSeconds(300),
        RequireIssuerCapability = false,
        MaxPassportLifetime = null,
    };

    /// <summary>Accept ECDSA signatures with s &gt; n/2 (default false).</summary>
    public bool AcceptHighS { get; init; }

    /// <summary>How old a timestamp may be, exclusive (default 300 s).</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>How far ahead a timestamp may be, exclusive (default 60 s).</summary>
    public TimeSpan MaxFutureSkew { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Intermediates in an issuer chain must carry the capability <c>passport:issue</c> (default true).</summary>
    public bool RequireIssuerCapability { get; init; } = true;

    /// <summary>Longest accepted passport lifetime (default 365 days; null = unlimited).</summary>
    public TimeSpan? MaxPassportLifetime { get; init; } = TimeSpan.FromDays(365);

    /// <summary>Bounds of message parsing (default <see cref="CanonicalJsonOptions.Strict"/>: 4 MiB, depth 64, exact integers).</summary>
    public CanonicalJsonOptions Json { get; init; } = CanonicalJsonOptions.Strict;

    /// <summary>The MCPS versions this verifier accepts (default <c>["1.0"]</c>).</summary>
    public IReadOnlyList<string> SupportedVersions { get; init; } = [McpsEnvelopeConstants.Version];

    /// <summary>How revocation status is obtained (default <see cref="Passports.StatusPolicy.Required"/>).</summary>
    public StatusPolicy StatusPolicy { get; init; } = StatusPolicy.Required;

    /// <summary>Under <see cref="StatusPolicy.Cached"/>: how long past its <c>ValidUntil</c> a cached status is still accepted while the authority is unreachable (default 1 h).</summary>
    public TimeSpan MaxStatusAge { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The signature options derived from <see cref="AcceptHighS"/>.</summary>
    internal Cryptography.SignatureVerificationOptions SignatureOptions =>
        AcceptHighS ? Cryptography.SignatureVerificationOptions.HighSCompatible : Cryptography.SignatureVerificationOptions.Default;
}
