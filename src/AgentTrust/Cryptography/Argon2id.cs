using System.Security.Cryptography;
using AgentTrust.Cryptography.Native;

namespace AgentTrust.Cryptography;

/// <summary>
/// Argon2id v1.3 through libsodium's <c>crypto_pwhash</c>. libsodium fixes parallelism at 1 and requires a
/// 16-byte salt, takes no secret and no associated data; parameters outside those are refused, never approximated.
/// </summary>
public static unsafe class Argon2id
{
    /// <summary>The salt size libsodium requires.</summary>
    public const int SaltSize = 16;

    /// <summary>The smallest iteration count accepted.</summary>
    public const int MinIterations = 1;

    /// <summary>The largest iteration count accepted (bounds work before any is done).</summary>
    public const int MaxIterations = 16;

    /// <summary>The smallest memory cost accepted, in KiB.</summary>
    public const int MinMemoryKiB = 64;

    /// <summary>The largest memory cost accepted, in KiB (1 GiB).</summary>
    public const int MaxMemoryKiB = 1_048_576;

    /// <summary>
    /// Derives <paramref name="output"/>.Length bytes from <paramref name="password"/> and a 16-byte salt.
    /// </summary>
    /// <param name="password">The password bytes, used as given (no normalisation).</param>
    /// <param name="salt">Exactly 16 bytes.</param>
    /// <param name="iterations">The time cost <c>t</c> (1–16).</param>
    /// <param name="memoryKiB">The memory cost <c>m</c> in KiB (64–1,048,576).</param>
    /// <param name="parallelism">Must be 1: libsodium computes only p = 1.</param>
    /// <param name="output">The destination; 16 to 64 bytes.</param>
    public static void DeriveKey(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int iterations, int memoryKiB, int parallelism, Span<byte> output)
    {
        if (salt.Length != SaltSize)
        {
            throw new ArgumentException($"Argon2id through libsodium needs a {SaltSize}-byte salt.", nameof(salt));
        }

        if (parallelism != 1)
        {
            throw new ArgumentOutOfRangeException(nameof(parallelism), "libsodium's Argon2id computes only parallelism p = 1.");
        }

        if (iterations is < MinIterations or > MaxIterations)
        {
            throw new ArgumentOutOfRangeException(nameof(iterations), $"Argon2id t must be {MinIterations}..{MaxIterations}.");
        }

        if (memoryKiB is < MinMemoryKiB or > MaxMemoryKiB)
        {
            throw new ArgumentOutOfRangeException(nameof(memoryKiB), $"Argon2id m must be {MinMemoryKiB}..{MaxMemoryKiB} KiB.");
        }

        if (output.Length is < 16 or > 64)
        {
            throw new ArgumentException("Argon2id output must be 16 to 64 bytes here.", nameof(output));
        }

        var sodium = LibSodium.Instance;
        fixed (byte* o = output)
        fixed (byte* p = password)
        fixed (byte* s = salt)
        {
            var rc = sodium.CryptoPwhash(o, (ulong)output.Length, p, (ulong)password.Length, s, (ulong)iterations, (nuint)memoryKiB * 1024, LibSodium.Argon2id13);
            if (rc != 0)
            {
                CryptographicOperations.ZeroMemory(output);
                throw new CryptographicException("crypto_pwhash failed (out of memory?).");
            }
        }
    }
}
