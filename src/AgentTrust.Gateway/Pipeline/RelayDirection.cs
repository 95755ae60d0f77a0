namespace AgentTrust.Gateway.Pipeline;

/// <summary>Which way a message travels through the gateway.</summary>
public enum RelayDirection
{
    /// <summary>From the MCP client (the agent) to the MCP server.</summary>
    ClientToServer,

    /// <summary>From the MCP server to the MCP client.</summary>
    ServerToClient,
}
