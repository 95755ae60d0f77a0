namespace AgentTrust.Keys;

/// <summary>Why a key could not be imported. Every rejection names one of these; messages never contain key material.</summary>
public enum KeyFormatError
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>The input is empty or too large to be a key.</summary>
    Empty,

    /// <summary>The input is none of the recognised formats (PEM, JWK, Signet key file, <c>ed25519:</c> text).</summary>
    UnrecognisedFormat,

    /// <summary>The PEM, DER, JSON or base64 structure is malformed (including trailing data).</summary>
    Malformed,

    /// <summary>The key is encrypted with a scheme AgentTrust does not read (encrypted PEM).</summary>
    EncryptedNotSupported,

    /// <summary>The algorithm, key type or curve is not ES256/P-256 or Ed25519.</summary>
    UnsupportedAlgorithm,

    /// <summary>The key bytes are invalid: wrong length, point not on the curve, scalar out of range, public part not matching the private part.</summary>
    InvalidKey,

    /// <summary>An encrypted key needs a passphrase and none was available.</summary>
    PassphraseRequired,

    /// <summary>Decryption failed: wrong passphrase or tampered file (indistinguishable by design).</summary>
    DecryptionFailed,

    /// <summary>The key file's parameters are outside the accepted bounds (KDF cost, sizes, labels).</summary>
    UnsupportedParameters,

    /// <summary>A key file's <c>name</c> differs from the name it was opened under.</summary>
    NameMismatch,
}
