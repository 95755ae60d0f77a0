namespace AgentTrust.Mcps.Envelopes;

/// <summary>Where the signature container travels in a JSON-RPC message (mcps.md §3).</summary>
public enum EnvelopePlacement
{
    /// <summary>P2, the AgentTrust default: <c>params._meta</c>, <c>result._meta</c> or <c>error.data._meta</c> under <c>io.agenttrust/mcps</c>.</summary>
    Meta = 0,

    /// <summary>P1, mcp-secure 1.x: the top-level member <c>mcps</c>.</summary>
    TopLevel = 1,
}
