namespace AgentTrust.KeyStore;

/// <summary>Key names: <c>^[a-zA-Z0-9_-]+$</c> (Signet's rule), at most 64 characters, so a name is always a safe file name.</summary>
public static class KeyNames
{
    /// <summary>The longest name accepted.</summary>
    public const int MaxLength = 64;

    /// <summary>True when <paramref name="name"/> is a valid key name.</summary>
    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
