namespace AgentTrust.Cli.Commands.Keys;

/// <summary>
/// Where passphrases come from: <c>AGENTTRUST_PASSPHRASE</c>, then <c>SIGNET_PASSPHRASE</c> (non-empty), then an
/// interactive prompt without echo. Null when none is available (the caller turns that into a clear error).
/// </summary>
internal static class Passphrase
{
    public static string? FromEnvironment(CliContext context)
    {
        foreach (var variable in (string[])["AGENTTRUST_PASSPHRASE", "SIGNET_PASSPHRASE"])
        {
            var value = context.GetEnvironmentVariable(variable);
            if (!string.IsNullOrEmpty(value))
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>A passphrase to open an existing encrypted key.</summary>
    public static string? ForExisting(CliContext context, string what)
    {
        var value = FromEnvironment(context);
        if (value is not null || !context.IsInteractive)
        {
            return value;
        }

        var entered = context.PromptSecret($"Passphrase for {what}: ");
        return string.IsNullOrEmpty(entered) ? null : entered;
    }

    /// <summary>A passphrase for a new key file; asked twice when prompted.</summary>
    public static string? ForNew(CliContext context, string name)
    {
        var value = FromEnvironment(context);
        if (value is not null || !context.IsInteractive)
        {
            return value;
        }

        var first = context.PromptSecret($"New passphrase for key '{name}': ");
        if (string.IsNullOrEmpty(first))
        {
            return null;
        }

        var second = context.PromptSecret("Repeat the passphrase: ");
        if (!string.Equals(first, second, StringComparison.Ordinal))
        {
            throw CliFailure.Usage("The two passphrases differ.");
        }

        return first;
    }
}
