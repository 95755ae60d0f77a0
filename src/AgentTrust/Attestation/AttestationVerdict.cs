using AgentTrust.Errors;

namespace AgentTrust.Attestation;

/// <summary>The result of presenting (or not presenting) an attestation token to a verifier.</summary>
public sealed class AttestationVerdict
{
    internal AttestationVerdict(AttestationPolicyMode policy, AttestationReason reason, AttestationClaims? claims, IReadOnlyList<string>? unknownClaims, AttestationTrustLevel trustLevel)
    {
        Policy = policy;
        Reason = reason;
        Claims = claims;
        UnknownClaims = unknownClaims ?? [];
        TrustLevel = trustLevel;
    }

    /// <summary>True when the token verified completely (including replay).</summary>
    public bool Verified => Reason == AttestationReason.None;

    /// <summary>Why it did not verify (<see cref="AttestationReason.None"/> when it did).</summary>
    public AttestationReason Reason { get; }

    /// <summary>The policy mode that decided <see cref="ShouldProceed"/>.</summary>
    public AttestationPolicyMode Policy { get; }

    /// <summary>
    /// Whether the request may proceed: verified always; otherwise only an absent token under preferred/optional,
    /// or any failure under optional. A present token that fails never proceeds under required or preferred.
    /// </summary>
    public bool ShouldProceed => Verified || Policy switch
    {
        AttestationPolicyMode.Optional => true,
        AttestationPolicyMode.Preferred => Reason == AttestationReason.Missing,
        _ => false,
    };

    /// <summary>The JSON-RPC error code of the rejection (−32001…−32006), or null when verified.</summary>
    public int? JsonRpcCode => Verified ? null : Reason.ToJsonRpcCode();

    /// <summary><see cref="McpsCode.AttestationFailed"/> (MCPS-020) on failure, null when verified.</summary>
    public McpsCode? McpsCode => Verified ? null : Errors.McpsCode.AttestationFailed;

    /// <summary><c>provider</c>/<c>enterprise</c> when verified, else <c>none</c>.</summary>
    public AttestationTrustLevel TrustLevel { get; }

    /// <summary>The verified claims (null unless verified).</summary>
    public AttestationClaims? Claims { get; }

    /// <summary>The verified <c>iss</c>.</summary>
    public string? Issuer => Claims?.Issuer;

    /// <summary>The verified <c>sub</c>.</summary>
    public string? Subject => Claims?.Subject;

    /// <summary>Names of top-level claims this verifier does not know (accepted and ignored).</summary>
    public IReadOnlyList<string> UnknownClaims { get; }

    internal static AttestationVerdict Rejected(AttestationPolicyMode policy, AttestationReason reason) => new(policy, reason, null, null, AttestationTrustLevel.None);
}
