using AgentTrust.Attestation;

namespace AgentTrust.Gateway.Configuration;

/// <summary>
/// Attestation-token verification (attestation.md): the trusted issuers with where their keys come from, this
/// gateway's audience, and the policy mode. In the file: <c>"attestation": {"issuers":[{"issuer","jwks"}], "audience", "mode"}</c>.
/// </summary>
public sealed record AttestationSettings
{
    /// <summary>The trusted issuers; empty turns attestation off.</summary>
    public IReadOnlyList<AttestationIssuerSetting> Issuers { get; init; } = [];

    /// <summary>The <c>aud</c> every token must carry; required when issuers are configured.</summary>
    public string? Audience { get; init; }

    /// <summary>
    /// The policy mode. Default <see cref="AttestationPolicyMode.Optional"/>: an absent token proceeds at level none;
    /// a present token that fails is refused in every mode.
    /// </summary>
    public AttestationPolicyMode Mode { get; init; } = AttestationPolicyMode.Optional;

    /// <summary>True when at least one issuer is configured.</summary>
    public bool IsEnabled => Issuers.Count > 0;
}

/// <summary>One trusted attestation issuer.</summary>
/// <param name="Issuer">The issuer URL, compared byte for byte with <c>iss</c>.</param>
/// <param name="Jwks">The issuer's JWKS: a file path or an http(s) URL.</param>
public sealed record AttestationIssuerSetting(string Issuer, string Jwks);
