namespace AgentTrust.KeyStore;

/// <summary>Why a key store operation failed.</summary>
public enum KeyStoreError
{
    /// <summary>The name does not match <c>^[a-zA-Z0-9_-]+$</c> (or is too long).</summary>
    InvalidName = 1,

    /// <summary>No key with that name.</summary>
    NotFound,

    /// <summary>A key with that name already exists.</summary>
    AlreadyExists,

    /// <summary>A key file is malformed, uses unaccepted parameters, or does not match its name or its <c>.pub</c>.</summary>
    InvalidKeyFile,

    /// <summary>The key is encrypted and no passphrase was available.</summary>
    PassphraseRequired,

    /// <summary>Wrong passphrase or tampered file (indistinguishable by design).</summary>
    DecryptionFailed,

    /// <summary>A file or the directory could not be read or written.</summary>
    Io,
}
