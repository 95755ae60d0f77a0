namespace AgentTrust.Cli;

/// <summary>
/// A controlled failure of a command: printed to stderr as one line <c>agenttrust: error CODE: message</c>,
/// and the process exits with <see cref="ExitCode"/>. Commands throw it; nothing else escapes to the user.
/// </summary>
internal sealed class CliFailure : Exception
{
    public CliFailure(int exitCode, string code, string message) : base(message)
    {
        ExitCode = exitCode;
        Code = code;
    }

    public CliFailure()
    {
        Code = "AT-ERR";
    }

    public CliFailure(string message) : base(message)
    {
        Code = "AT-ERR";
    }

    public CliFailure(string message, Exception innerException) : base(message, innerException)
    {
        Code = "AT-ERR";
    }

    /// <summary>The process exit code (<see cref="ExitCodes"/>).</summary>
    public int ExitCode { get; } = ExitCodes.Rejected;

    /// <summary>The error code: an MCPS code (<c>MCPS-017</c>) or an <c>AT-</c> code for CLI/environment errors.</summary>
    public string Code { get; }

    /// <summary>Rejected input or failed verification (exit 1).</summary>
    public static CliFailure Rejected(string code, string message) => new(ExitCodes.Rejected, code, message);

    /// <summary>A usage error (exit 2).</summary>
    public static CliFailure Usage(string message) => new(ExitCodes.Usage, "AT-USAGE", message);

    /// <summary>An environment error such as a missing file (exit 3).</summary>
    public static CliFailure Environment(string code, string message) => new(ExitCodes.Environment, code, message);
}
