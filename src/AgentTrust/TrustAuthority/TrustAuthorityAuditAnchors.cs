using System.Text.Json.Nodes;
using AgentTrust.Audit;
using AgentTrust.Cryptography;

namespace AgentTrust.TrustAuthority;

/// <summary>
/// Deposits audit-log heads at a Trust Authority through <see cref="TrustAuthorityClient.AnchorCheckpointAsync"/>,
/// proving possession of the log with <paramref name="logKey"/> (Ed25519; the authority binds a log to the key of its
/// first checkpoint). The key is borrowed: the caller keeps it alive while anchoring runs and disposes it.
/// </summary>
/// <param name="client">The authority's client.</param>
/// <param name="logKey">The log writer's Ed25519 key.</param>
public sealed class TrustAuthorityAuditAnchors(TrustAuthorityClient client, SigningKey logKey) : IAuditAnchorAuthority
{
    private readonly TrustAuthorityClient _client = client ?? throw new ArgumentNullException(nameof(client));
    private readonly SigningKey _logKey = logKey?.Algorithm == SignatureAlgorithm.EdDSA
        ? logKey
        : throw new ArgumentException("The log key proving possession of an audit log is Ed25519.", nameof(logKey));

    /// <inheritdoc/>
    public Task<VerificationKey?> GetAnchorKeyAsync(CancellationToken cancellationToken) => _client.GetAnchorKeyAsync(cancellationToken);

    /// <inheritdoc/>
    public Task<AuthorityResult<JsonObject>> GetAnchorAsync(string logId, CancellationToken cancellationToken) => _client.GetAnchorAsync(logId, cancellationToken);

    /// <inheritdoc/>
    public Task<AuthorityResult<JsonObject>> AnchorAsync(AuditHead head, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(head);
        if (head.LogId is null)
        {
            throw new ArgumentException("An empty log cannot be anchored.", nameof(head));
        }

        return _client.AnchorCheckpointAsync(head.LogId, head.RecordCount, head.RecordHash, _logKey, cancellationToken);
    }
}
