using System.Diagnostics;

namespace AgentTrust.Attestation;

/// <summary>
/// Traces of attestation.md §10: <see cref="ActivitySource"/> <c>AgentTrust.Attestation</c> with the reference's span
/// names (<c>attestation.verify</c>, <c>attestation.create_token</c>, <c>attestation.jwks_fetch</c>) and attributes
/// <c>attestation.issuer</c>, <c>attestation.outcome</c>, <c>attestation.reason</c>.
/// </summary>
public static class AttestationActivity
{
    /// <summary>The source name.</summary>
    public const string SourceName = "AgentTrust.Attestation";

    /// <summary>The source (immutable; listeners subscribe by name).</summary>
    public static ActivitySource Source { get; } = new(SourceName);
}
