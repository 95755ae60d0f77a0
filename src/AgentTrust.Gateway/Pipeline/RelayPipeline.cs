using System.Diagnostics;
using System.Collections.Concurrent;
using AgentTrust.Errors;
using AgentTrust.Gateway.Diagnostics;
using AgentTrust.Gateway.Messages;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentTrust.Gateway.Pipeline;

/// <summary>
/// The per-message pipeline shared by every transport: parse within limits, run the stages, correlate answers with
/// the requests they answer (client→server and server→client ids are separate spaces), and turn refusals into the
/// JSON-RPC errors of mcps.md §13. Thread-safe for one pump per direction.
/// </summary>
public sealed class RelayPipeline
{
    private readonly IReadOnlyList<IRelayStage> _stages;
    private readonly MessageLimits _limits;
    private readonly ILogger _logger;
    private readonly GatewayMetrics? _metrics;
    private readonly ConcurrentDictionary<string, RelayExchange> _clientRequests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RelayExchange> _serverRequests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, object?> _session = new(StringComparer.Ordinal);

    /// <summary>
    /// Creates a pipeline over <paramref name="stages"/>, listed from the client side to the server side: client
    /// messages pass them in list order, server messages in reverse order (as layers of an onion), so the stage at the
    /// trust boundary with a peer is the first to see that peer's messages and the last to touch messages sent to it.
    /// </summary>
    /// <param name="stages">The stages.</param>
    /// <param name="limits">The bounds applied before parsing; <see cref="MessageLimits.Default"/> when null.</param>
    /// <param name="logger">The log of refusals and failures.</param>
    /// <param name="metrics">The instruments to record each message's outcome on, or null.</param>
    public RelayPipeline(IEnumerable<IRelayStage> stages, MessageLimits? limits = null, ILogger? logger = null, GatewayMetrics? metrics = null)
    {
        _metrics = metrics;
        ArgumentNullException.ThrowIfNull(stages);
        _stages = [.. stages];
        _limits = limits ?? MessageLimits.Default;
        _limits.Validate();
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The bounds applied before parsing.</summary>
    public MessageLimits Limits => _limits;

    /// <summary>Number of forwarded requests still waiting for an answer, per direction (for diagnostics and tests).</summary>
    public (int ClientToServer, int ServerToClient) PendingRequests => (_clientRequests.Count, _serverRequests.Count);

    /// <summary>The answer to an input that exceeded the size bound before it could be read (stdio framing).</summary>
    public RelayOutcome RejectOversized(RelayDirection direction)
    {
        var rejection = GatewayRejection.Mcps(McpsCode.InputLimitExceeded, "too_large");
        GatewayLog.UnreadableInput(_logger, Side(direction), rejection.Reason);
        _metrics?.Record(direction, rejection, TimeSpan.Zero);
        return direction == RelayDirection.ClientToServer
            ? new RelayOutcome(null, ToClientError(rejection, null, null), rejection)
            : new RelayOutcome(null, null, rejection);
    }

    /// <summary>Runs one framed input through the pipeline.</summary>
    public async ValueTask<RelayOutcome> ProcessAsync(byte[] input, RelayDirection direction, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var started = Stopwatch.GetTimestamp();
        var outcome = await ProcessInputAsync(input, direction, cancellationToken).ConfigureAwait(false);
        if (outcome.ToRecipient is not null || outcome.ToSender is not null || outcome.Rejection is not null)
        {
            // (An empty line is no message: nothing to count.)
            _metrics?.Record(direction, outcome.Rejection, Stopwatch.GetElapsedTime(started));
        }

        return outcome;
    }

    /// <summary>Runs one parsed message through the pipeline.</summary>
    public async ValueTask<RelayOutcome> ProcessAsync(RelayMessage message, RelayDirection direction, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var started = Stopwatch.GetTimestamp();
        var outcome = await ProcessMessageAsync(message, direction, cancellationToken).ConfigureAwait(false);
        _metrics?.Record(direction, outcome.Rejection, Stopwatch.GetElapsedTime(started));
        return outcome;
    }

    private async ValueTask<RelayOutcome> ProcessInputAsync(byte[] input, RelayDirection direction, CancellationToken cancellationToken)
    {
        var parsed = MessageParser.Parse(input, _limits);
        if (parsed.Message is not { } message)
        {
            var rejection = parsed.Rejection!;
            if (rejection.Reason == "empty")
            {
                return default;
            }

            GatewayLog.UnreadableInput(_logger, Side(direction), rejection.Reason);

            // Answer the client so it never waits for a reply that cannot come. A server that prints garbage on
            // stdout is logged, not answered: it is not waiting for anything.
            return direction == RelayDirection.ClientToServer
                ? new RelayOutcome(null, ToClientError(rejection, MessageParser.TryExtractId(input), null), rejection)
                : new RelayOutcome(null, null, rejection);
        }

        return await ProcessMessageAsync(message, direction, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<RelayOutcome> ProcessMessageAsync(RelayMessage message, RelayDirection direction, CancellationToken cancellationToken)
    {
        var received = message.GetBytes();
        RelayExchange? request = null;
        if (message.Kind is MessageKind.Response or MessageKind.Error)
        {
            // An answer travelling server→client answers a client request, and the reverse.
            var table = direction == RelayDirection.ServerToClient ? _clientRequests : _serverRequests;
            table.TryRemove(message.IdKey!, out request);
        }

        var exchange = new RelayExchange(message, direction, request, _session) { ReceivedBytes = received };
        var verdict = Precheck(message, direction, request) is { } precheck
            ? StageResult.Reject(precheck)
            : await RunStagesAsync(exchange, cancellationToken).ConfigureAwait(false);

        // Work the stages started for this message (durable audit appends) completes before it can leave, and is
        // waited for even when a later stage refused it, so that no failure goes unobserved.
        if (await exchange.WaitBeforeForwardingAsync().ConfigureAwait(false) is { } failure)
        {
            GatewayLog.StageFailed(_logger, nameof(RelayExchange.ForwardOnlyAfter), failure);
            if (!verdict.IsRejected)
            {
                verdict = StageResult.Reject(GatewayRejection.Mcps(McpsCode.InternalError, "internal_error"));
            }
        }

        if (verdict.Rejection is { } rejection)
        {
            GatewayLog.MessageRefused(_logger, message.Kind.ToString(), message.Method ?? "-", Side(direction), rejection.McpsCode?.ToCodeString() ?? rejection.JsonRpcCode.ToString(System.Globalization.CultureInfo.InvariantCulture), rejection.Reason);
            var toClient = direction == RelayDirection.ClientToServer ? message.Kind == MessageKind.Request : message.Kind != MessageKind.Request;
            var error = message.Kind == MessageKind.Notification ? null
                : toClient ? ToClientError(rejection, message.Id, direction == RelayDirection.ClientToServer ? exchange : request)
                : ToServerError(rejection, message.Id);
            return message.Kind switch
            {
                MessageKind.Request => new RelayOutcome(null, error, rejection),
                MessageKind.Response or MessageKind.Error => new RelayOutcome(error, null, rejection),
                _ => new RelayOutcome(null, null, rejection),
            };
        }

        if (message.Kind == MessageKind.Request)
        {
            var table = direction == RelayDirection.ClientToServer ? _clientRequests : _serverRequests;
            if (!table.TryAdd(message.IdKey!, exchange))
            {
                // Checked before the stages already; a concurrent duplicate still never replaces the pending exchange.
                var duplicate = GatewayRejection.InvalidRequest("duplicate_id");
                return new RelayOutcome(null, direction == RelayDirection.ClientToServer ? ToClientError(duplicate, message.Id, exchange) : ToServerError(duplicate, message.Id), duplicate);
            }
        }

        return new RelayOutcome(message.GetBytes(), null, null);
    }

    /// <summary>
    /// Refuses a client message before it enters the stages, for a reason only its transport can see (for example HTTP
    /// routing headers that disagree with the body): nothing is recorded, and a request gets the error (signed like
    /// every other refusal, bound to the request as received).
    /// </summary>
    public RelayOutcome Refuse(RelayMessage message, GatewayRejection rejection)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(rejection);
        GatewayLog.MessageRefused(_logger, message.Kind.ToString(), message.Method ?? "-", "client", rejection.McpsCode?.ToCodeString() ?? rejection.JsonRpcCode.ToString(System.Globalization.CultureInfo.InvariantCulture), rejection.Reason);
        _metrics?.Record(RelayDirection.ClientToServer, rejection, TimeSpan.Zero);
        if (message.Kind != MessageKind.Request)
        {
            return new RelayOutcome(null, null, rejection);
        }

        var exchange = new RelayExchange(message, RelayDirection.ClientToServer, null, _session) { ReceivedBytes = message.GetBytes() };
        return new RelayOutcome(null, ToClientError(rejection, message.Id, exchange), rejection);
    }

    /// <summary>
    /// The error for a forwarded client request that will never get its answer (the transport to the server failed, or
    /// the server's answer could not be relayed): forgets the pending request, so its id is free again, and returns the
    /// error for the client, signed and bound to the request like every refusal.
    /// </summary>
    /// <param name="request">The request exactly as passed to <see cref="ProcessAsync(RelayMessage, RelayDirection, CancellationToken)"/>.</param>
    /// <param name="rejection">Why it failed.</param>
    public ReadOnlyMemory<byte> Abandon(RelayMessage request, GatewayRejection rejection)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(rejection);
        RelayExchange? exchange = null;
        if (request.IdKey is { } key && _clientRequests.TryGetValue(key, out var pending) && ReferenceEquals(pending.Message, request)
            && _clientRequests.TryRemove(new KeyValuePair<string, RelayExchange>(key, pending)))
        {
            exchange = pending;
        }

        return ToClientError(rejection, request.Id, exchange);
    }

    // Refusals that need no stage: a request reusing the id of a pending one would take over its answer (its receipt,
    // its reply binding); an answer from the server that matches no pending request would skip the checks that look
    // at the request (tool pins, receipts, reply binding). JSON-RPC ids must match exactly: 1 and "1" differ.
    private GatewayRejection? Precheck(RelayMessage message, RelayDirection direction, RelayExchange? request)
    {
        if (message.Kind == MessageKind.Request)
        {
            var table = direction == RelayDirection.ClientToServer ? _clientRequests : _serverRequests;
            return table.ContainsKey(message.IdKey!) ? GatewayRejection.InvalidRequest("duplicate_id") : null;
        }

        return direction == RelayDirection.ServerToClient && message.Kind is MessageKind.Response or MessageKind.Error && request is null
            ? GatewayRejection.InvalidRequest("unmatched_response")
            : null;
    }

    private async ValueTask<StageResult> RunStagesAsync(RelayExchange exchange, CancellationToken cancellationToken)
    {
        var count = _stages.Count;
        for (var i = 0; i < count; i++)
        {
            var stage = exchange.Direction == RelayDirection.ClientToServer ? _stages[i] : _stages[count - 1 - i];
            StageResult result;
            try
            {
                result = exchange.Direction == RelayDirection.ClientToServer
                    ? await stage.OnClientMessageAsync(exchange, cancellationToken).ConfigureAwait(false)
                    : await stage.OnServerMessageAsync(exchange, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // A failing stage must refuse the message (fail closed), never crash the relay.
            catch (Exception e)
#pragma warning restore CA1031
            {
                GatewayLog.StageFailed(_logger, stage.GetType().Name, e);
                return StageResult.Reject(GatewayRejection.Mcps(McpsCode.InternalError, "internal_error"));
            }

            if (result.IsRejected)
            {
                return result;
            }
        }

        return StageResult.Continue;
    }

    // Errors the gateway itself sends towards the client are signed by the stages that sign (countersigning).
    private byte[] ToClientError(GatewayRejection rejection, System.Text.Json.Nodes.JsonNode? id, RelayExchange? request)
    {
        var response = rejection.ToErrorResponse(id);
        foreach (var stage in _stages)
        {
            if (stage is IRejectionSigner signer)
            {
                signer.SignRejection(response, request);
            }
        }

        return JsonWire.Serialize(response);
    }

    // Errors the gateway itself sends towards the server are signed by the stages that sign client messages (agent side).
    private byte[] ToServerError(GatewayRejection rejection, System.Text.Json.Nodes.JsonNode? id)
    {
        var response = rejection.ToErrorResponse(id);
        foreach (var stage in _stages)
        {
            if (stage is IServerRejectionSigner signer)
            {
                signer.SignServerRejection(response);
            }
        }

        return JsonWire.Serialize(response);
    }

    private static string Side(RelayDirection direction) => direction == RelayDirection.ClientToServer ? "client" : "server";
}
