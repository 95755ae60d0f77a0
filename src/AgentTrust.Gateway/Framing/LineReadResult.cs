namespace AgentTrust.Gateway.Framing;

/// <summary>One unit read from a newline-delimited stream.</summary>
/// <param name="Kind">Whether a line, an oversized line, or the end of the stream was read.</param>
/// <param name="Line">The line without its newline (and without a trailing carriage return); empty unless <see cref="LineReadKind.Line"/>.</param>
public readonly record struct LineReadResult(LineReadKind Kind, byte[] Line);

/// <summary>What <see cref="JsonLineReader.ReadAsync"/> found.</summary>
public enum LineReadKind
{
    /// <summary>A complete line within the size bound.</summary>
    Line,

    /// <summary>A line longer than the bound; its bytes were discarded up to and including its newline without buffering them.</summary>
    TooLarge,

    /// <summary>The stream ended.</summary>
    End,
}
