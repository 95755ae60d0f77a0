namespace AgentTrust.Attestation;

/// <summary>The <c>agent_identity</c> claim: which model runs the agent.</summary>
/// <param name="ModelFamily">For example <c>claude-4</c>.</param>
/// <param name="ModelVersion">For example <c>claude-sonnet-4-20250514</c>.</param>
/// <param name="Provider">For example <c>anthropic</c>.</param>
/// <param name="DeploymentId">Optional deployment name.</param>
public sealed record AgentIdentity(string ModelFamily, string ModelVersion, string Provider, string? DeploymentId = null);

/// <summary>The <c>agent_integrity</c> claim: <c>sha256:&lt;64 lower-case hex&gt;</c> digests.</summary>
/// <param name="ConfigHash">Digest of the agent configuration.</param>
/// <param name="SystemPromptHash">Digest of the system prompt.</param>
public sealed record AgentIntegrity(string? ConfigHash, string? SystemPromptHash)
{
    /// <summary>Computes <c>"sha256:" + hex(SHA-256(utf8(text)))</c>, the form the reference uses.</summary>
    public static string Digest(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
    }
}

/// <summary>The verified claims of an attestation token.</summary>
public sealed class AttestationClaims
{
    /// <summary><c>iss</c>.</summary>
    public required string Issuer { get; init; }

    /// <summary><c>sub</c>.</summary>
    public required string Subject { get; init; }

    /// <summary><c>aud</c> as a list (a string becomes one entry).</summary>
    public required IReadOnlyList<string> Audience { get; init; }

    /// <summary><c>iat</c> (Unix seconds).</summary>
    public required long IssuedAt { get; init; }

    /// <summary><c>exp</c> (Unix seconds).</summary>
    public required long ExpiresAt { get; init; }

    /// <summary><c>nbf</c> (Unix seconds), when present.</summary>
    public long? NotBefore { get; init; }

    /// <summary><c>jti</c>.</summary>
    public required string JwtId { get; init; }

    /// <summary><c>agent_identity</c>.</summary>
    public required AgentIdentity AgentIdentity { get; init; }

    /// <summary><c>attestation_metadata.attestation_version</c>.</summary>
    public required string AttestationVersion { get; init; }

    /// <summary><c>attestation_metadata.attestation_type</c>.</summary>
    public required AttestationType AttestationType { get; init; }

    /// <summary><c>attestation_metadata.safety_level</c>.</summary>
    public required SafetyLevel SafetyLevel { get; init; }

    /// <summary><c>attestation_metadata.capabilities_declared</c>.</summary>
    public required IReadOnlyList<string> CapabilitiesDeclared { get; init; }

    /// <summary><c>agent_integrity</c>, when present.</summary>
    public AgentIntegrity? Integrity { get; init; }

    /// <summary><c>cnf.jkt</c> (or the thumbprint of <c>cnf.jwk</c>), when present: the RFC 7638 thumbprint of the agent key the token is bound to.</summary>
    public string? ConfirmationThumbprint { get; init; }
}
