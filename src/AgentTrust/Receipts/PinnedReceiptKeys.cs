namespace AgentTrust.Receipts;

/// <summary>Trust anchors from pinned keys: each key is trusted in the roles it was pinned for, at any time.</summary>
public sealed class PinnedReceiptKeys : IReceiptTrustAnchors
{
    private readonly HashSet<(string Key, ReceiptKeyRole Role)> _pins = [];

    /// <summary>Pins <paramref name="publicKey"/> (<c>ed25519:…</c>) for the given roles (all roles when none are given).</summary>
    public PinnedReceiptKeys Pin(string publicKey, params ReceiptKeyRole[] roles)
    {
        if (!ReceiptEncoding.TryParsePublicKey(publicKey, out _))
        {
            throw new ArgumentException("Not an ed25519: public key.", nameof(publicKey));
        }

        foreach (var role in roles is { Length: > 0 } ? roles : Enum.GetValues<ReceiptKeyRole>())
        {
            _pins.Add((publicKey, role));
        }

        return this;
    }

    /// <inheritdoc />
    public ValueTask<bool> IsTrustedAsync(string publicKey, ReceiptKeyRole role, DateTimeOffset at, CancellationToken cancellationToken)
        => ValueTask.FromResult(_pins.Contains((publicKey, role)));
}
