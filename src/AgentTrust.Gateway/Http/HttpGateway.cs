using System.Net;
using System.Text;
using AgentTrust.Gateway.Configuration;
using AgentTrust.Gateway.Diagnostics;
using AgentTrust.Gateway.Messages;
using AgentTrust.Gateway.Pinning;
using AgentTrust.Gateway.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentTrust.Gateway.Http;

/// <summary>
/// The Streamable HTTP gateway: Kestrel on a loopback address in front of an upstream MCP endpoint. Every POST body
/// (client→server) and every JSON or SSE message coming back (server→client) goes through the pipeline; session ids
/// pass through; the 2026-07-28 routing headers must agree with the body and are rebuilt from the forwarded body; a
/// refused server→client request is answered upstream; Host and Origin are validated (DNS rebinding).
/// </summary>
public sealed class HttpGateway : IAsyncDisposable
{
    // Mcp-Method and Mcp-Name are not copied: they are derived from the forwarded body (RoutingHeaders).
    private static readonly string[] ForwardedRequestHeaders =
        ["Accept", "Mcp-Session-Id", "MCP-Protocol-Version", "Last-Event-ID", "Authorization"];

    private static readonly string[] ForwardedResponseHeaders = ["Mcp-Session-Id", "MCP-Protocol-Version", "WWW-Authenticate"];

    private readonly IReadOnlyList<IRelayStage> _stages;
    private readonly ToolPinStage? _toolPins;
    private readonly GatewayOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly HttpClient _upstream;
    private readonly Uri _upstreamUri;
    private readonly IPEndPoint _listen;
    private volatile HostValidation? _hostValidation;
    private static readonly byte[] UnknownSession = System.Text.Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"Session not found"}}""");

    private readonly HttpSessionTable _sessions;
    private WebApplication? _app;

    /// <summary>The instruments each message's outcome is recorded on, or null.</summary>
    public Diagnostics.GatewayMetrics? Metrics { get; init; }

    /// <summary>
    /// Whether the session proof of a GET or DELETE (<see cref="SessionProof"/>) goes upstream: true (the default) in
    /// front of another gateway, which checks it; false in front of the MCP server itself, which has no use for it (it
    /// would only carry the agent's passport and a signed message there).
    /// </summary>
    public bool ForwardsSessionProof { get; init; } = true;

    /// <summary>Creates the gateway; <see cref="GatewayOptions.Upstream"/> and <see cref="GatewayOptions.Listen"/> are required.</summary>
    /// <param name="stages">The pipeline stages, from the client side to the server side.</param>
    /// <param name="options">The configuration.</param>
    /// <param name="loggers">Where the gateway logs.</param>
    /// <param name="upstreamHandler">The HTTP handler towards the upstream (tests); null for a pooled socket handler.</param>
    /// <param name="timeProvider">The clock of session expiry; null for the system clock.</param>
    public HttpGateway(IReadOnlyList<IRelayStage> stages, GatewayOptions options, ILoggerFactory loggers, HttpMessageHandler? upstreamHandler = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(stages);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        _stages = stages;
        _toolPins = stages.OfType<ToolPinStage>().FirstOrDefault();
        _options = options;
        _loggers = loggers;
        _logger = loggers.CreateLogger("AgentTrust.Gateway.Http");
        _upstreamUri = options.Upstream ?? throw new ArgumentException("Upstream is required", nameof(options));
        if (options.Listen is null || !IPEndPoint.TryParse(options.Listen, out var listen))
        {
            throw new ArgumentException("Listen must be an address:port such as 127.0.0.1:8080", nameof(options));
        }

        _listen = listen;
        _sessions = new HttpSessionTable(timeProvider ?? TimeProvider.System, options.HttpSessionIdleTimeout, options.MaxHttpSessions);
        _upstream = new HttpClient(upstreamHandler ?? new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>Sessions currently relayed (diagnostics and tests).</summary>
    public int SessionCount => _sessions.Count;

    /// <summary>Starts listening; returns the bound address (useful with port 0).</summary>
    public async Task<Uri> StartAsync(CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggers);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(_listen);
            k.Limits.MaxRequestBodySize = _options.MaxMessageBytes;
            k.AddServerHeader = false;
        });
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app = app;
        var address = app.Urls.First();

        // Built from the bound port, so that --listen 127.0.0.1:0 accepts its own Host; until then every request is refused.
        var bound = new Uri(address);
        _hostValidation = new HostValidation(new IPEndPoint(_listen.Address, bound.Port), _options.AllowedHosts, _options.AllowedOrigins);
        GatewayLog.Listening(_logger, address, _upstreamUri.AbsoluteUri);
        return new Uri(address);
    }

    /// <summary>Runs until <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Normal shutdown.
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }

        _upstream.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var hosts = _hostValidation;
        if (hosts is null || !hosts.IsAllowedHost(request.Host.Value) || !hosts.IsAllowedOrigin(request.Headers.Origin))
        {
            // Refused before the body is read, so the answer cannot be bound to a request: an unsigned JSON-RPC error
            // with a null id (see README, "Streamable HTTP").
            GatewayLog.HttpRefused(_logger, "host or origin not allowed");
            await WriteAsync(context, StatusCodes.Status403Forbidden, JsonWire.Serialize(GatewayRejection.InvalidRequest("host_or_origin_not_allowed").ToErrorResponse(null))).ConfigureAwait(false);
            return;
        }

        var sessionId = request.Headers["Mcp-Session-Id"].ToString();
        var pipeline = sessionId.Length > 0 ? _sessions.Find(sessionId) : new RelayPipeline(_stages, _options.Limits, _logger, Metrics);
        if (pipeline is null)
        {
            // A session this gateway does not hold (never opened through it, ended, or forgotten) is never forwarded with a
            // fresh pipeline: that pipeline would belong to whoever spoke first, inside someone else's upstream session.
            // 404 makes a client start a new session (mcp-integration.md §6).
            GatewayLog.HttpRefused(_logger, "unknown session");
            await WriteAsync(context, StatusCodes.Status404NotFound, UnknownSession).ConfigureAwait(false);
            return;
        }

        if (HttpMethods.IsPost(request.Method))
        {
            await HandlePostAsync(context, pipeline).ConfigureAwait(false);
        }
        else if (HttpMethods.IsGet(request.Method) || HttpMethods.IsDelete(request.Method))
        {
            var proof = sessionId.Length == 0 ? null : await ProveSessionRequestAsync(context, pipeline, sessionId).ConfigureAwait(false);
            if (sessionId.Length > 0 && proof is null)
            {
                return;
            }

            using var upstreamRequest = CreateUpstreamRequest(context, new HttpMethod(request.Method), null);
            if (proof is not null && ForwardsSessionProof)
            {
                upstreamRequest.Headers.TryAddWithoutValidation(SessionProof.HeaderName, proof);
            }

            await RelayResponseAsync(context, upstreamRequest, pipeline, null).ConfigureAwait(false);
            if (HttpMethods.IsDelete(request.Method) && sessionId.Length > 0)
            {
                _sessions.Remove(sessionId);
            }
        }
        else
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
        }
    }

    // The session proof of a GET or DELETE (see SessionProof): the one the client sent, or a new unsigned one, through the
    // session's pipeline. The agent side's pipeline signs it; the server side's verifies it, so an unsigned or foreign
    // proof is refused there (403, never forwarded). Returns the header value for the upstream request, or null when the
    // request was refused (the answer is written).
    private async Task<string?> ProveSessionRequestAsync(HttpContext context, RelayPipeline pipeline, string sessionId)
    {
        var request = context.Request;
        var header = request.Headers[SessionProof.HeaderName];
        byte[] proof;
        if (header.Count == 0)
        {
            proof = SessionProof.Create(request.Method, sessionId);
        }
        else if (header.Count > 1 || !SessionProof.TryDecode(header[0]!, out proof))
        {
            GatewayLog.HttpRefused(_logger, "unreadable session proof");
            await WriteAsync(context, StatusCodes.Status400BadRequest, JsonWire.Serialize(GatewayRejection.InvalidRequest("bad_session_proof").ToErrorResponse(null))).ConfigureAwait(false);
            return null;
        }

        // Only a proof for this method and session enters the pipeline: any other message in the header (a request, an
        // answer, a tools/call) would change the session's state or its audit log before being refused.
        GatewayRejection? rejection = null;
        RelayOutcome outcome = default;
        if (!SessionProof.Names(proof, request.Method, sessionId))
        {
            rejection = GatewayRejection.InvalidRequest("session_proof_mismatch");
        }
        else
        {
            outcome = await pipeline.ProcessAsync(proof, RelayDirection.ClientToServer, context.RequestAborted).ConfigureAwait(false);
            rejection = outcome.Rejection;
            if (rejection is null && (outcome.ToRecipient is not { } proven || !SessionProof.Names(proven.Span, request.Method, sessionId)))
            {
                rejection = GatewayRejection.InvalidRequest("session_proof_mismatch");
            }
        }

        if (rejection is not null)
        {
            // Not bound to any JSON-RPC request: an unsigned error with a null id, like the Host/Origin refusal.
            GatewayLog.HttpRefused(_logger, "session proof refused: " + rejection.Reason);
            await WriteAsync(context, StatusCodes.Status403Forbidden, JsonWire.Serialize(rejection.ToErrorResponse(null))).ConfigureAwait(false);
            return null;
        }

        return SessionProof.Encode(outcome.ToRecipient!.Value.Span);
    }

    private async Task HandlePostAsync(HttpContext context, RelayPipeline pipeline)
    {
        var request = context.Request;
        var body = await ReadBodyAsync(request, _options.MaxMessageBytes, context.RequestAborted).ConfigureAwait(false);
        var parsed = body is null ? null : MessageParser.Parse(body, _options.Limits).Message;
        RelayOutcome outcome;
        var parameterMarks = parsed?.ToolName is { } tool && _toolPins is not null ? await _toolPins.ParameterMarksAsync(tool, context.RequestAborted).ConfigureAwait(false) : null;
        if (parsed is not null && (!RoutingHeaders.AreConsistent(request.Headers[RoutingHeaders.MethodHeader], request.Headers[RoutingHeaders.NameHeader], request.Headers[RoutingHeaders.VersionHeader], parsed)
            || (parameterMarks is not null && !ParameterHeaders.AreConsistent(request.Headers, parsed, parameterMarks,
                required: RoutingHeaders.IsStatelessRequest(request.Headers[RoutingHeaders.VersionHeader], parsed)))))
        {
            // Checked on the body as received, before any stage: intermediaries route on these headers, the gateway
            // verifies the body; they must name the same thing (mcp-integration.md §6: −32020, HTTP 400).
            GatewayLog.HttpRefused(_logger, "routing headers disagree with the body");
            outcome = pipeline.Refuse(parsed, GatewayRejection.HeaderMismatch());
            await WriteAsync(context, StatusCodes.Status400BadRequest, outcome.ToSender).ConfigureAwait(false);
            return;
        }

        outcome = body is null
            ? pipeline.RejectOversized(RelayDirection.ClientToServer)
            : parsed is not null
                ? await pipeline.ProcessAsync(parsed, RelayDirection.ClientToServer, context.RequestAborted).ConfigureAwait(false)
                : await pipeline.ProcessAsync(body, RelayDirection.ClientToServer, context.RequestAborted).ConfigureAwait(false);

        if (outcome.ToRecipient is not { } forward)
        {
            // MCPS refusals are JSON-RPC errors with status 200; unreadable bodies are 400 (mcp-integration.md §6).
            var status = outcome.Rejection?.McpsCode is null || outcome.Rejection.Reason == "too_large" ? StatusCodes.Status400BadRequest : StatusCodes.Status200OK;
            await WriteAsync(context, outcome.ToSender is null ? StatusCodes.Status202Accepted : status, outcome.ToSender).ConfigureAwait(false);
            return;
        }

        // Mcp-Param-* headers are never passed on as the client sent them: for a tool whose definition the gateway knows
        // they are rebuilt from the verified body below; without one (pins in memory before a listing, --no-pins) no one
        // can say which argument they mirror, and on anything but tools/call they mirror nothing, so none is sent.
        using var upstreamRequest = CreateUpstreamRequest(context, HttpMethod.Post, forward);
        if (parsed is not null)
        {
            RoutingHeaders.Apply(upstreamRequest, parsed, request.Headers[RoutingHeaders.NameHeader]);
            if (parameterMarks is not null)
            {
                ParameterHeaders.Apply(upstreamRequest, parsed, parameterMarks);
            }
        }

        await RelayResponseAsync(context, upstreamRequest, pipeline, parsed).ConfigureAwait(false);
    }

    private HttpRequestMessage CreateUpstreamRequest(HttpContext context, HttpMethod method, ReadOnlyMemory<byte>? body)
    {
        var message = new HttpRequestMessage(method, _upstreamUri);
        if (body is { } bytes)
        {
            message.Content = new ReadOnlyMemoryContent(bytes);
            message.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        foreach (var (name, values) in context.Request.Headers)
        {
            if (ForwardedRequestHeaders.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                message.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        return message;
    }

    private async Task RelayResponseAsync(HttpContext context, HttpRequestMessage upstreamRequest, RelayPipeline pipeline, RelayMessage? request)
    {
        HttpResponseMessage upstreamResponse;
        try
        {
            upstreamResponse = await _upstream.SendAsync(upstreamRequest, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            GatewayLog.UpstreamFailed(_logger, "connection failed");
            await WriteGatewayErrorAsync(context, pipeline, request, GatewayRejection.Internal("upstream_unreachable")).ConfigureAwait(false);
            return;
        }

        using (upstreamResponse)
        {
            var response = context.Response;
            response.StatusCode = (int)upstreamResponse.StatusCode;
            foreach (var name in ForwardedResponseHeaders)
            {
                if (upstreamResponse.Headers.TryGetValues(name, out var values))
                {
                    response.Headers[name] = values.ToArray();
                }
            }

            // Only the answer to an initialize sent without a session opens one, keyed to the pipeline that checked it.
            if (request is { Method: "initialize" } && context.Request.Headers["Mcp-Session-Id"].Count == 0
                && upstreamResponse.Headers.TryGetValues("Mcp-Session-Id", out var ids) && ids.FirstOrDefault() is { Length: > 0 } newSession)
            {
                if (_sessions.Add(newSession, pipeline) is > 0 and var forgotten)
                {
                    GatewayLog.SessionsForgotten(_logger, forgotten, _sessions.Capacity);
                }
            }

            // Parsed media type, compared case-insensitively: only application/json (any parameters) and
            // text/event-stream are relayed, both through the pipeline. Anything else with a body is refused, so a
            // look-alike such as application/jsonx can never carry an unchecked message past the gateway.
            var mediaType = upstreamResponse.Content.Headers.ContentType?.MediaType;
            await using var upstreamBody = await upstreamResponse.Content.ReadAsStreamAsync(context.RequestAborted).ConfigureAwait(false);
            if (string.Equals(mediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase))
            {
                response.ContentType = "text/event-stream";
                response.Headers.CacheControl = "no-cache,no-store";
                response.Headers.ContentEncoding = "identity";
                response.Headers["X-Accel-Buffering"] = "no";
                context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
                var session = upstreamResponse.Headers.TryGetValues("Mcp-Session-Id", out var streamSession) ? streamSession.FirstOrDefault() : null;
                await RelayEventStreamAsync(upstreamBody, context, session ?? context.Request.Headers["Mcp-Session-Id"].ToString(), pipeline).ConfigureAwait(false);
            }
            else if (string.Equals(mediaType, "application/json", StringComparison.OrdinalIgnoreCase))
            {
                response.ContentType = "application/json";
                var bytes = await ReadAllAsync(upstreamBody, _options.MaxMessageBytes, context.RequestAborted).ConfigureAwait(false);
                var answer = bytes is null ? null : MessageParser.Parse(bytes, _options.Limits).Message;
                if (request?.Kind == MessageKind.Request
                    && (answer is not { Kind: MessageKind.Response or MessageKind.Error } || answer.IdKey != request.IdKey))
                {
                    // A JSON body answers the POSTed request or nothing. One that answers another id (which would take
                    // that request's place), cannot be read or is too large never enters the pipeline; the client gets
                    // the gateway's error for its own request, which stops being pending (else its id would stay taken
                    // for the session's lifetime).
                    GatewayLog.UpstreamFailed(_logger, "the JSON answer does not answer the request");
                    await WriteGatewayErrorAsync(context, pipeline, request, GatewayRejection.Internal("upstream_answer_mismatch")).ConfigureAwait(false);
                    return;
                }

                var outcome = bytes is null
                    ? pipeline.RejectOversized(RelayDirection.ServerToClient)
                    : answer is not null
                        ? await pipeline.ProcessAsync(answer, RelayDirection.ServerToClient, context.RequestAborted).ConfigureAwait(false)
                        : await pipeline.ProcessAsync(bytes, RelayDirection.ServerToClient, context.RequestAborted).ConfigureAwait(false);
                if (outcome.ToRecipient is { } forward)
                {
                    await response.Body.WriteAsync(forward, context.RequestAborted).ConfigureAwait(false);
                }
            }
            else
            {
                var probe = new byte[1];
                if (await upstreamBody.ReadAsync(probe, context.RequestAborted).ConfigureAwait(false) > 0)
                {
                    // Never forwarded: a body the pipeline cannot see would bypass pins, countersignatures and receipts.
                    GatewayLog.UpstreamFailed(_logger, "response content type not relayable");
                    await WriteGatewayErrorAsync(context, pipeline, request, GatewayRejection.Internal("upstream_bad_content_type")).ConfigureAwait(false);
                }
                else if (request?.Kind == MessageKind.Request)
                {
                    // No answer will come for this request (an error status without a body): its id is free again.
                    pipeline.Abandon(request, GatewayRejection.Internal("upstream_no_answer"));
                }
            }
        }
    }

    // SSE: each event's data lines form one JSON-RPC message; it goes through the pipeline and is re-emitted as one
    // data line. Other fields (id, event, retry) pass unchanged, so resumability keeps working. Every non-empty data
    // payload goes through the pipeline (which refuses what it cannot parse); nothing is forwarded raw. Lines and
    // events are bounded by MaxMessageBytes; an oversized one ends the stream.
    private async Task RelayEventStreamAsync(Stream upstreamBody, HttpContext context, string? sessionId, RelayPipeline pipeline)
    {
        var response = context.Response;
        var cancellationToken = context.RequestAborted;
        var reader = new BoundedLineReader(upstreamBody, _options.MaxMessageBytes);
        var fields = new StringBuilder();
        var data = new StringBuilder();
        var hasData = false;
        try
        {
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (line.Length == 0)
                {
                    await FlushEventAsync().ConfigureAwait(false);
                    continue;
                }

                if (line.StartsWith("data:", StringComparison.Ordinal))
                {
                    var value = line.AsSpan(5);
                    if (value.Length > 0 && value[0] == ' ')
                    {
                        value = value[1..];
                    }

                    if (hasData)
                    {
                        data.Append('\n');
                    }

                    data.Append(value);
                    hasData = true;
                }
                else
                {
                    fields.Append(line).Append('\n');
                }

                if (data.Length + fields.Length > _options.MaxMessageBytes)
                {
                    throw new InvalidDataException("SSE event larger than the message bound");
                }
            }

            await FlushEventAsync().ConfigureAwait(false);
        }
        catch (InvalidDataException)
        {
            GatewayLog.UpstreamFailed(_logger, "oversized event");
        }
        catch (IOException)
        {
            GatewayLog.UpstreamFailed(_logger, "event stream broken");
        }
        finally
        {
            reader.Dispose();
        }

        async Task FlushEventAsync()
        {
            if (fields.Length == 0 && !hasData)
            {
                return;
            }

            var output = new StringBuilder().Append(fields);
            if (hasData)
            {
                var text = data.ToString();
                if (text.Length == 0)
                {
                    output.Append("data: \n");
                }
                else
                {
                    var outcome = await pipeline.ProcessAsync(System.Text.Encoding.UTF8.GetBytes(text), RelayDirection.ServerToClient, cancellationToken).ConfigureAwait(false);
                    if (outcome.ToRecipient is { } forward)
                    {
                        output.Append("data: ").Append(System.Text.Encoding.UTF8.GetString(forward.Span).Replace("\n", "\ndata: ", StringComparison.Ordinal)).Append('\n');
                    }
                    else
                    {
                        GatewayLog.UpstreamFailed(_logger, "event data refused: " + (outcome.Rejection?.Reason ?? "no message"));
                        if (outcome.ToSender is { } answer)
                        {
                            // A refused server→client request (sampling, elicitation, roots): the server waits for its
                            // answer, so it gets the error the way a client answers, a POST on the same session.
                            await AnswerUpstreamAsync(context, sessionId, answer, cancellationToken).ConfigureAwait(false);
                        }
                    }
                }
            }

            output.Append('\n');
            fields.Clear();
            data.Clear();
            hasData = false;
            await response.WriteAsync(output.ToString(), cancellationToken).ConfigureAwait(false);
            await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    // The gateway's own answer to a client request it forwarded but cannot answer with the server's reply: signed by the
    // stages that sign (like the pipeline's refusals) and bound to the request, which stops being pending.
    private static async Task WriteGatewayErrorAsync(HttpContext context, RelayPipeline pipeline, RelayMessage? request, GatewayRejection rejection)
    {
        if (request?.Kind == MessageKind.Request)
        {
            await WriteAsync(context, StatusCodes.Status200OK, pipeline.Abandon(request, rejection)).ConfigureAwait(false);
        }
        else
        {
            // Notifications and answers expect no JSON-RPC reply: the status says it.
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
        }
    }

    private static async Task WriteAsync(HttpContext context, int status, ReadOnlyMemory<byte>? body)
    {
        context.Response.StatusCode = status;
        if (body is { } bytes)
        {
            context.Response.ContentType = "application/json";
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private async Task AnswerUpstreamAsync(HttpContext context, string? sessionId, ReadOnlyMemory<byte> answer, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, _upstreamUri) { Content = new ReadOnlyMemoryContent(answer) };
        message.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        message.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream");
        if (!string.IsNullOrEmpty(sessionId))
        {
            message.Headers.TryAddWithoutValidation("Mcp-Session-Id", sessionId);
        }

        foreach (var name in (string[])[RoutingHeaders.VersionHeader, "Authorization"])
        {
            if (context.Request.Headers[name] is { Count: > 0 } values)
            {
                message.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        try
        {
            using var reply = await _upstream.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!reply.IsSuccessStatusCode)
            {
                GatewayLog.UpstreamFailed(_logger, "refusal of a server request not accepted upstream");
            }
        }
        catch (HttpRequestException)
        {
            GatewayLog.UpstreamFailed(_logger, "refusal of a server request not delivered");
        }
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int max, CancellationToken cancellationToken)
    {
        if (request.ContentLength > max)
        {
            return null;
        }

        try
        {
            return await ReadAllAsync(request.Body, max, cancellationToken).ConfigureAwait(false);
        }
        catch (BadHttpRequestException)
        {
            return null;
        }
    }

    private static async Task<byte[]?> ReadAllAsync(Stream stream, int max, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int n;
        while ((n = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > max)
            {
                return null;
            }

            buffer.Write(chunk, 0, n);
        }

        return buffer.ToArray();
    }

    // Reads SSE lines (terminated by CRLF, LF or CR) without ever holding more than the bound of one line.
    private sealed class BoundedLineReader(Stream stream, int maxLineChars) : IDisposable
    {
        private readonly StreamReader _reader = new(stream, System.Text.Encoding.UTF8);
        private readonly char[] _buffer = new char[4096];
        private readonly StringBuilder _line = new();
        private int _position;
        private int _length;
        private bool _skipLf;

        public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            _line.Clear();
            while (true)
            {
                if (_position == _length)
                {
                    _length = await _reader.ReadAsync(_buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
                    _position = 0;
                    if (_length == 0)
                    {
                        return _line.Length > 0 ? _line.ToString() : null;
                    }
                }

                var c = _buffer[_position++];
                if (_skipLf)
                {
                    _skipLf = false;
                    if (c == '\n')
                    {
                        continue;
                    }
                }

                if (c == '\n' || c == '\r')
                {
                    _skipLf = c == '\r';
                    return _line.ToString();
                }

                if (_line.Length >= maxLineChars)
                {
                    throw new InvalidDataException("SSE line larger than the message bound");
                }

                _line.Append(c);
            }
        }

        public void Dispose() => _reader.Dispose();
    }
}
