using System.Security.Cryptography;
using AgentTrust.Cryptography.Native;

namespace AgentTrust.Cryptography;

/// <summary>
/// Ed25519 (RFC 8032) through libsodium: seeds of 32 bytes, public keys of 32 bytes, signatures of 64 bytes.
/// Verification uses <c>crypto_sign_verify_detached</c>, which also rejects small-order points and non-canonical S.
/// </summary>
public static unsafe class Ed25519
{
    /// <summary>Size of a seed (the private key) in bytes.</summary>
    public const int SeedSize = 32;

    /// <summary>Size of a public key in bytes.</summary>
    public const int PublicKeySize = 32;

    /// <summary>Size of a signature in bytes.</summary>
    public const int SignatureSize = 64;

    /// <summary>Size of libsodium's expanded secret key (seed‖public key) in bytes.</summary>
    public const int ExpandedSecretKeySize = 64;

    /// <summary>Derives the public key of <paramref name="seed"/>.</summary>
    public static void DerivePublicKey(ReadOnlySpan<byte> seed, Span<byte> publicKey)
    {
        Span<byte> secretKey = stackalloc byte[ExpandedSecretKeySize];
        try
        {
            ExpandSeed(seed, secretKey, publicKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secretKey);
        }
    }

    /// <summary>Expands <paramref name="seed"/> to libsodium's 64-byte secret key and the 32-byte public key.</summary>
    public static void ExpandSeed(ReadOnlySpan<byte> seed, Span<byte> expandedSecretKey, Span<byte> publicKey)
    {
        if (seed.Length != SeedSize)
        {
            throw new ArgumentException($"An Ed25519 seed is {SeedSize} bytes.", nameof(seed));
        }

        if (expandedSecretKey.Length != ExpandedSecretKeySize || publicKey.Length != PublicKeySize)
        {
            throw new ArgumentException("Destination buffers have the wrong size.");
        }

        var sodium = LibSodium.Instance;
        fixed (byte* s = seed)
        fixed (byte* sk = expandedSecretKey)
        fixed (byte* pk = publicKey)
        {
            if (sodium.CryptoSignSeedKeypair(pk, sk, s) != 0)
            {
                throw new CryptographicException("crypto_sign_seed_keypair failed.");
            }
        }
    }

    /// <summary>Signs <paramref name="data"/> with an expanded secret key (seed‖public key) into a 64-byte destination.</summary>
    public static void SignWithExpandedKey(ReadOnlySpan<byte> expandedSecretKey, ReadOnlySpan<byte> data, Span<byte> signature)
    {
        if (expandedSecretKey.Length != ExpandedSecretKeySize)
        {
            throw new ArgumentException($"An expanded Ed25519 secret key is {ExpandedSecretKeySize} bytes.", nameof(expandedSecretKey));
        }

        if (signature.Length < SignatureSize)
        {
            throw new ArgumentException($"The destination must hold {SignatureSize} bytes.", nameof(signature));
        }

        var sodium = LibSodium.Instance;
        ulong written;
        fixed (byte* sk = expandedSecretKey)
        fixed (byte* m = data)
        fixed (byte* sig = signature)
        {
            if (sodium.CryptoSignDetached(sig, &written, m, (ulong)data.Length, sk) != 0 || written != SignatureSize)
            {
                throw new CryptographicException("crypto_sign_detached failed.");
            }
        }
    }

    /// <summary>Signs <paramref name="data"/> with <paramref name="seed"/>. Intermediate key material is zeroed.</summary>
    public static void Sign(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> data, Span<byte> signature)
    {
        Span<byte> secretKey = stackalloc byte[ExpandedSecretKeySize];
        Span<byte> publicKey = stackalloc byte[PublicKeySize];
        try
        {
            ExpandSeed(seed, secretKey, publicKey);
            SignWithExpandedKey(secretKey, data, signature);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secretKey);
        }
    }

    /// <summary>
    /// Verifies a signature. Returns false for any public key or signature of the wrong length, and for every
    /// signature libsodium rejects; never throws on bad input (only when libsodium itself is missing).
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != PublicKeySize || signature.Length != SignatureSize)
        {
            return false;
        }

        var sodium = LibSodium.Instance;
        fixed (byte* pk = publicKey)
        fixed (byte* m = data)
        fixed (byte* sig = signature)
        {
            return sodium.CryptoSignVerifyDetached(sig, m, (ulong)data.Length, pk) == 0;
        }
    }
}
