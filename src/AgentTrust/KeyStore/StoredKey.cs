using AgentTrust.Cryptography;

namespace AgentTrust.KeyStore;

/// <summary>The public facts of a stored key. Holds no private material.</summary>
/// <param name="Name">The key name.</param>
/// <param name="PublicKey">The public key.</param>
/// <param name="HasPrivateKey">True when a <c>.key</c> file exists beside the <c>.pub</c>.</param>
/// <param name="IsEncrypted">True when the <c>.key</c> file is encrypted.</param>
/// <param name="CreatedAt">The <c>created_at</c> text of the <c>.pub</c> file.</param>
/// <param name="Owner">The optional owner.</param>
public sealed record StoredKey(string Name, VerificationKey PublicKey, bool HasPrivateKey, bool IsEncrypted, string CreatedAt, string? Owner)
{
    /// <summary>The algorithm of the key.</summary>
    public SignatureAlgorithm Algorithm => PublicKey.Algorithm;
}
