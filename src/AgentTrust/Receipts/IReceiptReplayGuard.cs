namespace AgentTrust.Receipts;

/// <summary>
/// Replay protection for live verification: registers <c>(partition, value)</c> = (signer public key, nonce)
/// until the given expiry. Shaped like the generic replay stores of <c>AgentTrust.Replay</c> so an adapter can satisfy it.
/// </summary>
public interface IReceiptReplayGuard
{
    /// <summary>Registers the pair; false when it was already registered (a replay) or the store refuses (full).</summary>
    ValueTask<bool> TryRegisterAsync(string partition, string value, DateTimeOffset expiresAt, CancellationToken cancellationToken);
}
