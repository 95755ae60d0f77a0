namespace AgentTrust.Gateway.Stdio;

/// <summary>The MCP server to start as a child process: the command after <c>--</c> on the gateway's command line.</summary>
public sealed record ServerCommand
{
    /// <summary>Creates a server command.</summary>
    public ServerCommand(string fileName, IReadOnlyList<string> arguments)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        ArgumentNullException.ThrowIfNull(arguments);
        FileName = fileName;
        Arguments = arguments;
    }

    /// <summary>The program to run (looked up on PATH).</summary>
    public string FileName { get; }

    /// <summary>Its arguments, passed as given (no shell).</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>Working directory of the child; null for the gateway's own.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>The server identity used for tool pins when the server does not sign: the command line.</summary>
    public string Identity => string.Join(' ', [FileName, .. Arguments]);
}
