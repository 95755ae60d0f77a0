using AgentTrust.Cryptography;

namespace AgentTrust.KeyStore;

/// <summary>The content of a Signet <c>.pub</c> file.</summary>
/// <param name="Name">The key name.</param>
/// <param name="Key">The public key.</param>
/// <param name="CreatedAt">The <c>created_at</c> text, kept as written (Signet writes nanoseconds and <c>+00:00</c>).</param>
/// <param name="Owner">The optional <c>owner</c>.</param>
public sealed record PublicKeyFile(string Name, VerificationKey Key, string CreatedAt, string? Owner);
