using AgentTrust.Replay;

namespace AgentTrust.Attestation;

/// <summary>Configuration of an <see cref="AttestationVerifier"/> (attestation.md §4).</summary>
public sealed record AttestationVerifierOptions
{
    /// <summary>The trusted issuers.</summary>
    public required IReadOnlyList<TrustedIssuer> Issuers { get; init; }

    /// <summary>This server's identifier; mandatory (a verifier cannot be built without one) and required in <c>aud</c>.</summary>
    public required string Audience { get; init; }

    /// <summary>Where used <c>(iss, jti)</c> pairs are recorded (atomic, bounded). Shared across processes with the SQLite/PostgreSQL stores.</summary>
    public required IReplayStore ReplayStore { get; init; }

    /// <summary>The policy mode. Default <see cref="AttestationPolicyMode.Required"/>.</summary>
    public AttestationPolicyMode Mode { get; init; } = AttestationPolicyMode.Required;

    /// <summary>Claims that must be present. Default <c>agent_identity</c>, <c>attestation_metadata</c>.</summary>
    public IReadOnlyList<string> RequiredClaims { get; init; } = ["agent_identity", "attestation_metadata"];

    /// <summary>The skew S applied at every time boundary. Default 30 s.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The maximum <c>exp − iat</c>. Default 900 s.</summary>
    public TimeSpan MaxLifetime { get; init; } = TimeSpan.FromSeconds(900);

    /// <summary>The maximum token length. Default 8192.</summary>
    public int MaxTokenBytes { get; init; } = 8192;

    /// <summary>The minimum <c>safety_level</c>; null (default) for none.</summary>
    public SafetyLevel? MinSafetyLevel { get; init; }

    /// <summary>Expected <c>agent_integrity.config_hash</c>, when pinned.</summary>
    public string? ExpectedConfigHash { get; init; }

    /// <summary>Expected <c>agent_integrity.system_prompt_hash</c>, when pinned.</summary>
    public string? ExpectedSystemPromptHash { get; init; }

    /// <summary>Compatibility: accept a token without <c>typ</c>. Off by default.</summary>
    public bool AllowMissingTyp { get; init; }

    /// <summary>Compatibility: accept any non-empty <c>sub</c>. Off by default.</summary>
    public bool AllowNonSpiffeSubject { get; init; }

    /// <summary>Weaker: let an unsigned request re-present a token already used (stateless revision). Off by default.</summary>
    public bool AllowBearerReuse { get; init; }

    /// <summary>
    /// How many verified tokens the verification cache holds, keyed by SHA-256 of the token (attestation.md §3.3): a
    /// repeated token skips decoding, signature and schema, never the key, time, audience, policy and replay checks.
    /// Default 1024; 0 turns the cache off.
    /// </summary>
    public int VerificationCacheSize { get; init; } = 1024;

    /// <summary>The clock. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Instruments; optional.</summary>
    public AttestationMetrics? Metrics { get; init; }

    /// <summary>Event callbacks; optional.</summary>
    public AttestationHooks? Hooks { get; init; }
}
