using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using AgentTrust.Cryptography;

namespace AgentTrust.Attestation;

/// <summary>
/// The presentation-independent part of a token's verification (attestation.md §3.3 "cheap, cached per token hash"):
/// steps 2–7 and 10–11 (encoding, header, issuer, key, signature, <c>jti</c>, <c>sub</c>, schema) of a token that passed
/// them, keyed by SHA-256 of the token. What it holds never makes a token valid on its own: on every hit the verifier
/// re-resolves the key by <c>(iss, kid)</c> and requires the very key that verified the signature (a rotated or
/// withdrawn key is a miss), re-checks time against its clock and the audience, re-runs the policy step (<c>cnf</c>
/// against this presentation) and the replay step. Entries leave at <c>exp + S</c>; at capacity expired entries are
/// dropped and, if none is, the new token is simply not cached (live entries are never needed for correctness).
/// </summary>
internal sealed class AttestationVerificationCache
{
    private readonly int _capacity;
    private readonly TimeProvider _time;
    private readonly Dictionary<TokenDigest, Entry> _entries = [];
    private readonly Lock _lock = new();

    public AttestationVerificationCache(int capacity, TimeProvider time)
    {
        _capacity = capacity;
        _time = time;
    }

    /// <summary>Number of cached tokens (for tests and diagnostics).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    public static TokenDigest Digest(string token)
    {
        var max = System.Text.Encoding.UTF8.GetMaxByteCount(token.Length);
        var rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var length = System.Text.Encoding.UTF8.GetBytes(token, rented);
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(rented.AsSpan(0, length), hash);
            var words = MemoryMarshal.Cast<byte, UInt128>(hash);
            return new TokenDigest(words[0], words[1]);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public bool TryGet(TokenDigest digest, out Entry? entry)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(digest, out entry))
            {
                if (entry.EvictAt > _time.GetUtcNow())
                {
                    return true;
                }

                _entries.Remove(digest);
            }
        }

        entry = null;
        return false;
    }

    public void Add(TokenDigest digest, Entry entry)
    {
        var now = _time.GetUtcNow();
        if (entry.EvictAt <= now)
        {
            return;
        }

        lock (_lock)
        {
            if (_entries.Count >= _capacity && !_entries.ContainsKey(digest))
            {
                foreach (var (key, value) in _entries)
                {
                    if (value.EvictAt <= now)
                    {
                        _entries.Remove(key);
                    }
                }

                if (_entries.Count >= _capacity)
                {
                    return;
                }
            }

            _entries[digest] = entry;
        }
    }

    public void Remove(TokenDigest digest)
    {
        lock (_lock)
        {
            _entries.Remove(digest);
        }
    }

    /// <summary>SHA-256 of the token's UTF-8 bytes.</summary>
    internal readonly record struct TokenDigest(UInt128 High, UInt128 Low);

    /// <summary>What a token's signature and schema checks established, and with which key.</summary>
    internal sealed record Entry(TrustedIssuer Issuer, string KeyId, SignatureAlgorithm Algorithm, VerificationKey Key, JsonElement Payload,
        AttestationClaims Claims, IReadOnlyList<string> UnknownClaims, DateTimeOffset EvictAt);
}
