using AgentTrust.Errors;

namespace AgentTrust.Mcps;

/// <summary>Why an MCPS check failed: the MCPS code and a reason from the closed set of <see cref="McpsReasons"/>.</summary>
/// <param name="Code">The MCPS code.</param>
/// <param name="Reason">The machine-readable reason (mcps.md §13).</param>
public sealed record McpsFailure(McpsCode Code, string Reason)
{
    /// <summary>The JSON-RPC error code (−33000 − n).</summary>
    public int JsonRpcCode => Code.ToJsonRpcCode();

    /// <inheritdoc />
    public override string ToString() => $"{Code.ToCodeString()} {Reason}";
}
