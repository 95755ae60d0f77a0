using AgentTrust.Gateway.Configuration;
using AgentTrust.Gateway.Pinning;
using AgentTrust.Gateway.Pipeline;

namespace AgentTrust.Gateway;

/// <summary>Builds the server-side gateway stages from <see cref="GatewayOptions"/>.</summary>
public static class GatewayPipelineFactory
{
    /// <summary>
    /// The stages in order: client messages are checked before anything reaches the server; server messages are
    /// pinned before they reach the client. Stages are shared by every session; a <see cref="RelayPipeline"/> (which
    /// holds the per-session request table) is created per session over them.
    /// </summary>
    /// <param name="options">The configuration.</param>
    /// <param name="serverIdentity">The server identity for pins (command line or upstream URL).</param>
    /// <param name="timeProvider">The clock.</param>
    public static IReadOnlyList<IRelayStage> CreateStages(GatewayOptions options, string serverIdentity, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var stages = new List<IRelayStage>();
        if (!options.DisablePins)
        {
            var store = options.Pins is null ? ToolPinStore.InMemory() : ToolPinStore.Open(options.Pins);
            stages.Add(new ToolPinStage(store, serverIdentity, options.StrictPins, timeProvider));
        }

        return stages;
    }
}
