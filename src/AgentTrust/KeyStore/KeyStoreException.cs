using AgentTrust.Keys;

namespace AgentTrust.KeyStore;

/// <summary>A key store operation failed; <see cref="Error"/> says why. Messages never contain key material.</summary>
public sealed class KeyStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    public KeyStoreException(KeyStoreError error, string message, KeyFormatError formatError = KeyFormatError.None) : base(message)
    {
        Error = error;
        FormatError = formatError;
    }

    /// <summary>Creates the exception.</summary>
    public KeyStoreException() : this(KeyStoreError.Io, "The key store operation failed.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public KeyStoreException(string message) : this(KeyStoreError.Io, message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public KeyStoreException(string message, Exception innerException) : base(message, innerException) => Error = KeyStoreError.Io;

    /// <summary>Why the operation failed.</summary>
    public KeyStoreError Error { get; }

    /// <summary>The key file defect behind <see cref="KeyStoreError.InvalidKeyFile"/> (and decryption errors), else None.</summary>
    public KeyFormatError FormatError { get; }
}
