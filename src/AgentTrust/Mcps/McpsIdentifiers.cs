using System.Security.Cryptography;

namespace AgentTrust.Mcps;

/// <summary>Passport ids (<c>asp_</c> + 32 lowercase hex) and nonces (32 lowercase hex), generated from the CSPRNG.</summary>
public static class McpsIdentifiers
{
    /// <summary>The passport id prefix.</summary>
    public const string PassportIdPrefix = "asp_";

    /// <summary>A new passport id: <c>asp_</c> + 16 random bytes as lowercase hex.</summary>
    public static string NewPassportId() => PassportIdPrefix + NewNonce();

    /// <summary>A new nonce: 16 random bytes as 32 lowercase hex characters.</summary>
    public static string NewNonce()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>True for <c>^asp_[0-9a-f]{32}$</c>.</summary>
    public static bool IsPassportId(string? value) =>
        value is { Length: 36 } && value.StartsWith(PassportIdPrefix, StringComparison.Ordinal) && IsLowerHex(value.AsSpan(4), 32);

    /// <summary>True for <c>^[0-9a-f]{32}$</c>.</summary>
    public static bool IsNonce(string? value) => value is not null && IsLowerHex(value, 32);

    /// <summary>True when <paramref name="value"/> is exactly <paramref name="length"/> lowercase hex characters.</summary>
    public static bool IsLowerHex(ReadOnlySpan<char> value, int length)
    {
        if (value.Length != length)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }
}
