using System.Text.Json.Nodes;
using AgentTrust.Receipts;

namespace AgentTrust.Audit;

/// <summary>
/// Records a denied tool call as SIGNED receipts (receipts.md §7.5), never as Signet's unsigned <c>policy_violation</c>:
/// the agent's v1 (when the request carried one) plus a server-signed v3 with outcome <c>rejected</c> or
/// <c>requires_approval</c>; without an agent receipt, a server-signed v1 carrying the policy attestation.
/// </summary>
public static class AuditDenials
{
    /// <summary>Appends the denial records and returns them once durable.</summary>
    /// <param name="log">The audit log.</param>
    /// <param name="server">The server (or gateway) signer.</param>
    /// <param name="action">The denied call as the server received it.</param>
    /// <param name="agentReceipt">The agent's v1 receipt, if the request carried one.</param>
    /// <param name="policy">The policy decision: <c>deny</c> or <c>require_approval</c>.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public static async Task<IReadOnlyList<Receipt>> RecordAsync(AuditLog log, ReceiptSigner server, ReceiptAction action, Receipt? agentReceipt, PolicyAttestation policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.Decision is not ("deny" or "require_approval"))
        {
            throw new ArgumentException("A denial carries the decision deny or require_approval.", nameof(policy));
        }

        var records = new List<Receipt>();
        if (agentReceipt is not null)
        {
            var outcome = policy.Decision == "deny" ? ResponseOutcome.Rejected(policy.Reason) : ResponseOutcome.RequiresApproval(policy.Reason);
            var error = new JsonObject { ["code"] = -32600, ["message"] = policy.Reason };
            records.Add(agentReceipt);
            records.Add(server.Countersign(agentReceipt, error, outcome));
        }
        else
        {
            records.Add(server.Sign(action, policy));
        }

        foreach (var record in records)
        {
            await log.AppendAsync(record, cancellationToken).ConfigureAwait(false);
        }

        return records;
    }
}
