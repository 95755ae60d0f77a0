namespace AgentTrust.Attestation;

/// <summary>
/// Where a token arrived, for the checks that depend on the carrying request: <c>cnf</c> binding and re-presentation
/// under the stateless revision (attestation.md §3.3).
/// </summary>
public sealed record AttestationPresentation
{
    /// <summary>A presentation in the initialize handshake, or an unsigned request: every use consumes the <c>jti</c>.</summary>
    public static AttestationPresentation Initialize { get; } = new();

    /// <summary>True under the stateless revision (2026-07-28), where one token rides on many requests.</summary>
    public bool Stateless { get; init; }

    /// <summary>The RFC 7638 thumbprint of the key that MCPS-signed the carrying request, when it was signed.</summary>
    public string? SignerThumbprint { get; init; }

    /// <summary>The MCPS <c>passport_id</c> of the signed request that carried the token (null when unsigned).</summary>
    public string? PresenterId { get; init; }
}
