using System.Diagnostics.Metrics;
using AgentTrust.Errors;
using AgentTrust.Gateway.Messages;
using AgentTrust.Gateway.Pipeline;

namespace AgentTrust.Gateway.Diagnostics;

/// <summary>
/// The gateway's instruments on a <see cref="Meter"/> named <c>AgentTrust.Gateway</c>: messages by direction and
/// outcome (<c>agenttrust.gateway.messages</c>), refusals by direction, code and reason
/// (<c>agenttrust.gateway.refusals</c>), and the time the pipeline spends on a message
/// (<c>agenttrust.gateway.message.duration</c>, seconds). One instance per gateway, shared by its pipelines.
/// </summary>
public sealed class GatewayMetrics : IDisposable
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "AgentTrust.Gateway";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _messages;
    private readonly Counter<long> _refusals;
    private readonly Histogram<double> _duration;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>, or on an owned meter when null.</summary>
    public GatewayMetrics(IMeterFactory? meterFactory = null)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _messages = _meter.CreateCounter<long>("agenttrust.gateway.messages", description: "Messages through the gateway by direction and outcome (forwarded, refused)");
        _refusals = _meter.CreateCounter<long>("agenttrust.gateway.refusals", description: "Refused messages by direction, code (MCPS-0xx or JSON-RPC) and reason");
        _duration = _meter.CreateHistogram<double>("agenttrust.gateway.message.duration", "s", "Time the pipeline spends on one message, by direction");
    }

    internal void Record(RelayDirection direction, GatewayRejection? rejection, TimeSpan elapsed)
    {
        var side = new KeyValuePair<string, object?>("direction", direction == RelayDirection.ClientToServer ? "client_to_server" : "server_to_client");
        _messages.Add(1, side, new KeyValuePair<string, object?>("outcome", rejection is null ? "forwarded" : "refused"));
        _duration.Record(elapsed.TotalSeconds, side);
        if (rejection is not null)
        {
            _refusals.Add(1, side,
                new KeyValuePair<string, object?>("code", rejection.McpsCode?.ToCodeString() ?? rejection.JsonRpcCode.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new KeyValuePair<string, object?>("reason", rejection.Reason));
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
