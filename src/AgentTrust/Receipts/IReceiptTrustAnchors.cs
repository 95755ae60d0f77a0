namespace AgentTrust.Receipts;

/// <summary>The role a key plays in a receipt.</summary>
public enum ReceiptKeyRole
{
    /// <summary>An agent (<c>signer</c> of v1/v2, <c>agent_receipt.signer</c> of v3).</summary>
    Agent = 0,

    /// <summary>A server countersigning v3.</summary>
    Server = 1,

    /// <summary>The root delegator of a v4 chain.</summary>
    DelegationRoot = 2,
}

/// <summary>
/// Trust anchors for receipt keys: a trust bundle, a Trust Authority registry, or pinned keys. A key named only by
/// the receipt itself yields <see cref="ReceiptTrustLevel.SelfConsistent"/>, never <see cref="ReceiptTrustLevel.Trusted"/>.
/// </summary>
public interface IReceiptTrustAnchors
{
    /// <summary>True when <paramref name="publicKey"/> (<c>ed25519:…</c>) is trusted in <paramref name="role"/> at <paramref name="at"/>.</summary>
    ValueTask<bool> IsTrustedAsync(string publicKey, ReceiptKeyRole role, DateTimeOffset at, CancellationToken cancellationToken);
}
