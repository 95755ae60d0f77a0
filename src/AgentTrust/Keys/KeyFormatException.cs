namespace AgentTrust.Keys;

/// <summary>A key could not be read or written; <see cref="Error"/> says why. The message never contains key material.</summary>
public sealed class KeyFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public KeyFormatException(KeyFormatError error, string message) : base(message) => Error = error;

    /// <summary>Creates the exception.</summary>
    public KeyFormatException() : this(KeyFormatError.Malformed, "The key could not be read.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public KeyFormatException(string message) : this(KeyFormatError.Malformed, message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public KeyFormatException(string message, Exception innerException) : base(message, innerException) => Error = KeyFormatError.Malformed;

    /// <summary>Why the key was refused.</summary>
    public KeyFormatError Error { get; }
}
