namespace AgentTrust.Mcps.Envelopes;

/// <summary>
/// Equality of byte arrays by their exact content, with lookups by span (no copy to probe a dictionary). The hash is
/// <see cref="HashCode"/>'s, seeded per process, so colliding keys cannot be prepared in advance; equality is always
/// decided by comparing every byte.
/// </summary>
internal sealed class ExactBytesComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    public static ExactBytesComparer Instance { get; } = new();

    public bool Equals(byte[]? x, byte[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

    public int GetHashCode(byte[] obj) => GetHashCode(obj.AsSpan());

    public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => other is not null && alternate.SequenceEqual(other);

    public int GetHashCode(ReadOnlySpan<byte> alternate)
    {
        var hash = default(HashCode);
        hash.AddBytes(alternate);
        return hash.ToHashCode();
    }

    public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
}
