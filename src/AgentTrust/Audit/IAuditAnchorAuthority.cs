using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.TrustAuthority;

namespace AgentTrust.Audit;

/// <summary>
/// Where an <see cref="AuditAnchorer"/> deposits heads (receipts.md §7.6): a Trust Authority, usually through
/// <see cref="TrustAuthorityAuditAnchors"/>. The anchorer verifies every answer itself, so an implementation need not.
/// </summary>
public interface IAuditAnchorAuthority
{
    /// <summary>The authority's Ed25519 anchor key, used when <see cref="AuditAnchoringOptions.AnchorKey"/> is not pinned; null when unknown.</summary>
    Task<VerificationKey?> GetAnchorKeyAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Deposits <paramref name="head"/>; returns the authority's signed anchor, or the code, reason and HTTP status of the
    /// failure (HTTP 409 or 403: the authority refuses the head, it holds a higher or different one for this log).
    /// </summary>
    Task<AuthorityResult<JsonObject>> AnchorAsync(AuditHead head, CancellationToken cancellationToken);

    /// <summary>
    /// The authority's signed anchor of <paramref name="logId"/> (<c>GET /v1/checkpoints/{log}</c>), or the failure (HTTP
    /// 404 with reason <c>unknown_log</c>: none held). The anchorer reads it to confirm a refusal before it stops: an
    /// error body is unsigned, the anchor is not. <see cref="TrustAuthorityAuditAnchors"/> requires the answer to echo a
    /// fresh nonce, so an old answer replayed on the way is refused (<see cref="CheckpointAnswer"/>).
    /// </summary>
    Task<AuthorityResult<JsonObject>> GetAnchorAsync(string logId, CancellationToken cancellationToken);
}
