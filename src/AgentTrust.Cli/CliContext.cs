using System.Text;

namespace AgentTrust.Cli;

/// <summary>
/// Everything a command touches outside itself: standard streams, environment variables, the clock, and whether
/// a terminal is attached. Tests run the whole CLI in-process with their own context.
/// </summary>
internal sealed class CliContext
{
    public required Stream StandardInput { get; init; }

    public required TextWriter Out { get; init; }

    /// <summary>
    /// Standard output as bytes, for commands whose output must be byte-exact (<c>canon</c>). When null, such
    /// commands write the (always valid UTF-8) bytes through <see cref="Out"/>.
    /// </summary>
    public Stream? StandardOutput { get; init; }

    public required TextWriter Error { get; init; }

    public required Func<string, string?> GetEnvironmentVariable { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>True when stdin is an interactive terminal (prompts are allowed).</summary>
    public bool IsInteractive { get; init; }

    /// <summary>Reads a secret from the terminal without echo; null when no terminal is attached.</summary>
    public Func<string, string?> PromptSecret { get; init; } = _ => null;

    /// <summary>The AgentTrust home: <c>AGENTTRUST_HOME</c>, or <c>~/.agenttrust</c>.</summary>
    public string HomeDirectory
    {
        get
        {
            var configured = GetEnvironmentVariable("AGENTTRUST_HOME");
            if (!string.IsNullOrEmpty(configured))
            {
                return Path.GetFullPath(configured);
            }

            return Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".agenttrust");
        }
    }

    /// <summary>The context of the real process.</summary>
    public static CliContext ForProcess()
    {
        var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true };
        var stderr = new StreamWriter(Console.OpenStandardError(), new UTF8Encoding(false)) { AutoFlush = true };
        return new CliContext
        {
            StandardInput = Console.OpenStandardInput(),
            Out = stdout,
            StandardOutput = Console.OpenStandardOutput(),
            Error = stderr,
            GetEnvironmentVariable = System.Environment.GetEnvironmentVariable,
            IsInteractive = !Console.IsInputRedirected,
            PromptSecret = ReadSecretFromConsole,
        };
    }

    private static string? ReadSecretFromConsole(string prompt)
    {
        if (Console.IsInputRedirected)
        {
            return null;
        }

        Console.Error.Write(prompt);
        var builder = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                Console.Error.WriteLine();
                return builder.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (builder.Length > 0)
                {
                    builder.Length--;
                }

                continue;
            }

            builder.Append(key.KeyChar);
        }
    }
}
