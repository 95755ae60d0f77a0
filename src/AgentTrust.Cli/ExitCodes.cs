namespace AgentTrust.Cli;

/// <summary>Exit codes that mean the same thing in every command.</summary>
internal static class ExitCodes
{
    /// <summary>Success, or the input verified.</summary>
    public const int Success = 0;

    /// <summary>Rejected input or failed verification.</summary>
    public const int Rejected = 1;

    /// <summary>Usage error: unknown command, bad or missing option.</summary>
    public const int Usage = 2;

    /// <summary>Environment error: missing file, missing native library, unreachable service.</summary>
    public const int Environment = 3;
}
