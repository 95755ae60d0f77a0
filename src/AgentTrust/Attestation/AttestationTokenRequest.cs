namespace AgentTrust.Attestation;

/// <summary>What to put in a minted attestation token (attestation.md §1.4).</summary>
public sealed record AttestationTokenRequest
{
    /// <summary>The target server (<c>aud</c>); a fresh token is minted per audience.</summary>
    public required string Audience { get; init; }

    /// <summary>The SPIFFE ID of the agent (<c>sub</c>); validated.</summary>
    public required string Subject { get; init; }

    /// <summary>The model identity.</summary>
    public required AgentIdentity AgentIdentity { get; init; }

    /// <summary>Default <see cref="SafetyLevel.Standard"/>.</summary>
    public SafetyLevel SafetyLevel { get; init; } = SafetyLevel.Standard;

    /// <summary>Default <see cref="AttestationType.Provider"/>.</summary>
    public AttestationType AttestationType { get; init; } = AttestationType.Provider;

    /// <summary>Declared capabilities (≤ 64).</summary>
    public IReadOnlyList<string> CapabilitiesDeclared { get; init; } = [];

    /// <summary>Optional integrity digests.</summary>
    public AgentIntegrity? Integrity { get; init; }

    /// <summary>Optional <c>cnf.jkt</c>: the RFC 7638 thumbprint of the agent's passport key.</summary>
    public string? ConfirmationThumbprint { get; init; }

    /// <summary>Lifetime; default 300 s.</summary>
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromSeconds(300);
}
