namespace AgentTrust.Gateway.Configuration;

/// <summary>Per-tool policy from the configuration file.</summary>
public sealed record ToolRule
{
    /// <summary>Minimum effective trust level (0–4) for calling the tool, at least the global minimum (a lower value is a configuration error); null = the global minimum.</summary>
    public int? MinTrust { get; init; }

    /// <summary>Whether an attestation token must accompany calls of this tool.</summary>
    public bool RequireAttestation { get; init; }

    /// <summary>With <see cref="RequireAttestation"/>: the issuers whose tokens are accepted for this tool; empty = any configured issuer.</summary>
    public IReadOnlyList<string> AttestationIssuers { get; init; } = [];
}
