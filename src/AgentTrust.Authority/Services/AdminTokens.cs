using System.Security.Cryptography;
using AgentTrust.Authority.Storage;
using AgentTrust.Encoding;

namespace AgentTrust.Authority.Services;

/// <summary>
/// Admin bearer tokens: <c>atadm_</c> + base64url of 32 random bytes. Only SHA-256 of the 32 bytes is stored; a
/// presented token is hashed and compared with every stored hash in constant time.
/// </summary>
public static class AdminTokens
{
    /// <summary>The prefix every admin token starts with.</summary>
    public const string Prefix = "atadm_";

    private const int TokenBytes = 32;

    /// <summary>Creates a token, stores its hash under <paramref name="label"/> and returns the token text (shown once).</summary>
    public static async Task<string> CreateAsync(IAuthorityRepository repository, string label, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var secret = RandomNumberGenerator.GetBytes(TokenBytes);
        try
        {
            var hash = SHA256.HashData(secret);
            await repository.AddAdminTokenAsync(hash, label, now, cancellationToken).ConfigureAwait(false);
            return Prefix + StrictBase64.EncodeUrl(secret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>
    /// Finds the stored token matching <paramref name="presented"/>: hashes it and compares against every stored
    /// hash with <see cref="CryptographicOperations.FixedTimeEquals"/> (no early exit). Null when none matches.
    /// </summary>
    public static AdminTokenRecord? Match(string? presented, IReadOnlyList<AdminTokenRecord> stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (presented is null || presented.Length != Prefix.Length + 43 || !presented.StartsWith(Prefix, StringComparison.Ordinal)
            || !StrictBase64.TryDecodeUrl(presented.AsSpan(Prefix.Length), TokenBytes, out var secret))
        {
            return null;
        }

        var hash = SHA256.HashData(secret);
        CryptographicOperations.ZeroMemory(secret);
        AdminTokenRecord? match = null;
        foreach (var record in stored)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, record.TokenHash))
            {
                match = record;
            }
        }

        return match;
    }
}
