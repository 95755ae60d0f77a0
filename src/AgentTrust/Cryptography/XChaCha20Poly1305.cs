using System.Security.Cryptography;
using AgentTrust.Cryptography.Native;

namespace AgentTrust.Cryptography;

/// <summary>XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha) through libsodium's IETF AEAD construction.</summary>
public static unsafe class XChaCha20Poly1305
{
    /// <summary>Key size in bytes.</summary>
    public const int KeySize = 32;

    /// <summary>Nonce size in bytes.</summary>
    public const int NonceSize = 24;

    /// <summary>Authentication tag size in bytes.</summary>
    public const int TagSize = 16;

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="ciphertextAndTag"/> (plaintext length + 16).</summary>
    public static void Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> ciphertextAndTag)
    {
        CheckSizes(key, nonce);
        if (ciphertextAndTag.Length != plaintext.Length + TagSize)
        {
            throw new ArgumentException("The destination must be plaintext length + 16 bytes.", nameof(ciphertextAndTag));
        }

        var sodium = LibSodium.Instance;
        ulong written;
        fixed (byte* c = ciphertextAndTag)
        fixed (byte* m = plaintext)
        fixed (byte* ad = associatedData)
        fixed (byte* n = nonce)
        fixed (byte* k = key)
        {
            if (sodium.XChaChaEncrypt(c, &written, m, (ulong)plaintext.Length, ad, (ulong)associatedData.Length, null, n, k) != 0)
            {
                throw new CryptographicException("XChaCha20-Poly1305 encryption failed.");
            }
        }
    }

    /// <summary>
    /// Decrypts and authenticates. Returns false (and zeroes the destination) when the tag does not verify;
    /// a wrong key and tampered data are indistinguishable by design.
    /// </summary>
    public static bool TryDecrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertextAndTag, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        CheckSizes(key, nonce);
        if (ciphertextAndTag.Length < TagSize || plaintext.Length != ciphertextAndTag.Length - TagSize)
        {
            return false;
        }

        var sodium = LibSodium.Instance;
        ulong written;
        fixed (byte* m = plaintext)
        fixed (byte* c = ciphertextAndTag)
        fixed (byte* ad = associatedData)
        fixed (byte* n = nonce)
        fixed (byte* k = key)
        {
            if (sodium.XChaChaDecrypt(m, &written, null, c, (ulong)ciphertextAndTag.Length, ad, (ulong)associatedData.Length, n, k) != 0)
            {
                CryptographicOperations.ZeroMemory(plaintext);
                return false;
            }
        }

        return true;
    }

    private static void CheckSizes(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce)
    {
        if (key.Length != KeySize)
        {
            throw new ArgumentException($"The key is {KeySize} bytes.", nameof(key));
        }

        if (nonce.Length != NonceSize)
        {
            throw new ArgumentException($"The nonce is {NonceSize} bytes.", nameof(nonce));
        }
    }
}
