namespace AgentTrust.Gateway.Messages;

/// <summary>Bounds checked on every message before it is parsed (mcps.md §2, MCPS-016).</summary>
public sealed record MessageLimits
{
    /// <summary>The hard cap on <see cref="MaxMessageBytes"/>: 64 MiB.</summary>
    public const int HardMaxMessageBytes = 64 * 1024 * 1024;

    /// <summary>The default bounds: 4 MiB per message, nesting depth 64.</summary>
    public static MessageLimits Default { get; } = new();

    /// <summary>Largest accepted message in bytes (one stdio line without its newline, or one HTTP body/SSE event).</summary>
    public int MaxMessageBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Deepest accepted nesting of objects and arrays.</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>Throws when a bound is out of its allowed range.</summary>
    public void Validate()
    {
        if (MaxMessageBytes < 64 || MaxMessageBytes > HardMaxMessageBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxMessageBytes), MaxMessageBytes, $"must be between 64 and {HardMaxMessageBytes}");
        }

        if (MaxDepth < 4 || MaxDepth > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDepth), MaxDepth, "must be between 4 and 1000");
        }
    }
}
