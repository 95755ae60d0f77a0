using AgentTrust.Tests.Gateway.Support;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// The full chain of real processes: MCP client → <c>agenttrust agent-proxy</c> (signs) → <c>agenttrust proxy</c>
/// (verifies, pins, countersigns, receipts) → MCP server. Each side has its own key, passport and audit log.
/// </summary>
internal sealed class GatewayChain : IDisposable
{
    public GatewayChain()
    {
        Scratch = new ScratchDirectory();
        Directory.CreateDirectory(TrustStore);
    }

    public ScratchDirectory Scratch { get; }

    public string Home => Scratch.File("home");

    public string TrustStore => Scratch.File("trust");

    public string AgentAudit => Scratch.File("agent-audit");

    public string GatewayAudit => Scratch.File("gateway-audit");

    public string ReceivedLog => Scratch.File("received.jsonl");

    public Dictionary<string, string> Environment => new()
    {
        ["AGENTTRUST_HOME"] = Home,
        ["RECEIVED_LOG"] = ReceivedLog,
    };

    /// <summary>The command line (after <c>dotnet</c>) of the chain in front of <paramref name="server"/>.</summary>
    public string[] Arguments(params string[] server) =>
    [
        GatewayPeers.AgentTrustDll, "agent-proxy", "--key", "agent", "--audit-dir", AgentAudit, "--",
        "dotnet", GatewayPeers.AgentTrustDll, "proxy", "--trust-store", TrustStore, "--key", "gateway", "--audit-dir", GatewayAudit, "--",
        .. server,
    ];

    public void Dispose() => Scratch.Dispose();
}
