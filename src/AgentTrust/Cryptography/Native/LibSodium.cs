using System.Runtime.InteropServices;

namespace AgentTrust.Cryptography.Native;

/// <summary>
/// The small internal interop layer over libsodium: Ed25519, Argon2id and XChaCha20-Poly1305.
/// The library is loaded once per process; a missing library is a <see cref="NativeLibraryMissingException"/>
/// that names the package to install.
/// </summary>
internal sealed unsafe class LibSodium
{
    private static readonly string[] CandidateNames =
    [
        "libsodium.so.23", "libsodium.so.26", "libsodium.so", "libsodium.26.dylib", "libsodium.23.dylib",
        "libsodium.dylib", "libsodium", "sodium",
    ];

    private static readonly Lazy<LibSodium> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    internal const int Argon2id13 = 2;

    internal readonly delegate* unmanaged<byte*, byte*, byte*, int> CryptoSignSeedKeypair;
    internal readonly delegate* unmanaged<byte*, ulong*, byte*, ulong, byte*, int> CryptoSignDetached;
    internal readonly delegate* unmanaged<byte*, byte*, ulong, byte*, int> CryptoSignVerifyDetached;
    internal readonly delegate* unmanaged<byte*, ulong, byte*, ulong, byte*, ulong, nuint, int, int> CryptoPwhash;
    internal readonly delegate* unmanaged<byte*, ulong*, byte*, ulong, byte*, ulong, byte*, byte*, byte*, int> XChaChaEncrypt;
    internal readonly delegate* unmanaged<byte*, ulong*, byte*, byte*, ulong, byte*, ulong, byte*, byte*, int> XChaChaDecrypt;

    private LibSodium(IntPtr handle)
    {
        CryptoSignSeedKeypair = (delegate* unmanaged<byte*, byte*, byte*, int>)Export(handle, "crypto_sign_seed_keypair");
        CryptoSignDetached = (delegate* unmanaged<byte*, ulong*, byte*, ulong, byte*, int>)Export(handle, "crypto_sign_detached");
        CryptoSignVerifyDetached = (delegate* unmanaged<byte*, byte*, ulong, byte*, int>)Export(handle, "crypto_sign_verify_detached");
        CryptoPwhash = (delegate* unmanaged<byte*, ulong, byte*, ulong, byte*, ulong, nuint, int, int>)Export(handle, "crypto_pwhash");
        XChaChaEncrypt = (delegate* unmanaged<byte*, ulong*, byte*, ulong, byte*, ulong, byte*, byte*, byte*, int>)Export(handle, "crypto_aead_xchacha20poly1305_ietf_encrypt");
        XChaChaDecrypt = (delegate* unmanaged<byte*, ulong*, byte*, byte*, ulong, byte*, ulong, byte*, byte*, int>)Export(handle, "crypto_aead_xchacha20poly1305_ietf_decrypt");
    }

    /// <summary>The process-wide libsodium binding, loaded and initialised on first use.</summary>
    /// <exception cref="NativeLibraryMissingException">libsodium is not installed.</exception>
    internal static LibSodium Instance => Loaded.Value;

    /// <summary>True when libsodium can be loaded; never throws.</summary>
    internal static bool IsAvailable
    {
        get
        {
            try
            {
                _ = Loaded.Value;
                return true;
            }
            catch (NativeLibraryMissingException)
            {
                return false;
            }
        }
    }

    private static LibSodium Load()
    {
        foreach (var name in CandidateNames)
        {
            if (!NativeLibrary.TryLoad(name, typeof(LibSodium).Assembly, DllImportSearchPath.SafeDirectories | DllImportSearchPath.System32, out var handle)
                && !NativeLibrary.TryLoad(name, out handle))
            {
                continue;
            }

            if (!NativeLibrary.TryGetExport(handle, "sodium_init", out var init))
            {
                continue;
            }

            var sodiumInit = (delegate* unmanaged<int>)init;
            if (sodiumInit() < 0)
            {
                throw new NativeLibraryMissingException("libsodium was found but failed to initialise (sodium_init returned -1).");
            }

            return new LibSodium(handle);
        }

        throw new NativeLibraryMissingException(
            "libsodium is not installed: install the package 'libsodium23' (Debian/Ubuntu: apt-get install libsodium23; macOS: brew install libsodium).");
    }

    private static IntPtr Export(IntPtr handle, string name) =>
        NativeLibrary.TryGetExport(handle, name, out var address)
            ? address
            : throw new NativeLibraryMissingException($"libsodium is too old: the export '{name}' is missing (install libsodium23 or later).");
}
