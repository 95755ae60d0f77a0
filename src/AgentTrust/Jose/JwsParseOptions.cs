namespace AgentTrust.Jose;

/// <summary>Limits and switches applied while parsing a compact JWS, before any signature check.</summary>
public sealed record JwsParseOptions
{
    /// <summary>The defaults: 8192 characters, no critical extension understood, payload must be a JSON object.</summary>
    public static JwsParseOptions Default { get; } = new();

    /// <summary>The maximum token length in characters, checked before anything is decoded. Default 8192.</summary>
    public int MaxTokenLength { get; init; } = 8192;

    /// <summary>The maximum nesting depth of header and payload JSON. Default 16.</summary>
    public int MaxJsonDepth { get; init; } = 16;

    /// <summary>Header parameter names listed in <c>crit</c> that the caller understands and checks itself. Empty by default.</summary>
    public IReadOnlySet<string> UnderstoodCriticalHeaders { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>When true (default) the payload must be a strict JSON object (no duplicate members), as a JWT's claims set.</summary>
    public bool RequireJsonPayload { get; init; } = true;
}
