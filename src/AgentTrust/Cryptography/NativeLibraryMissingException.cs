namespace AgentTrust.Cryptography;

/// <summary>
/// A native library that AgentTrust needs (libsodium) could not be loaded. The message names the package to install.
/// </summary>
public sealed class NativeLibraryMissingException : Exception
{
    /// <summary>Creates the exception with a message that names the missing package.</summary>
    public NativeLibraryMissingException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the underlying cause.</summary>
    public NativeLibraryMissingException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a default message naming libsodium23.</summary>
    public NativeLibraryMissingException() : base("libsodium is not installed: install the package 'libsodium23'.")
    {
    }
}
