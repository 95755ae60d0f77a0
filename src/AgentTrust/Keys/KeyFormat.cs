namespace AgentTrust.Keys;

/// <summary>The format a key was read from.</summary>
public enum KeyFormat
{
    /// <summary>PEM: SubjectPublicKeyInfo, PKCS#8 or SEC1.</summary>
    Pem = 1,

    /// <summary>A JSON Web Key, public or private (<c>d</c>).</summary>
    Jwk,

    /// <summary>A Signet <c>.key</c> file (plain or encrypted).</summary>
    SignetKeyFile,

    /// <summary>A Signet <c>.pub</c> file.</summary>
    SignetPublicKeyFile,

    /// <summary>The text <c>ed25519:&lt;base64 public key&gt;</c> used in Signet receipts.</summary>
    Ed25519PublicKeyText,
}
