namespace AgentTrust.Gateway.Configuration;

/// <summary>
/// Everything the gateway is configured with, from a JSON file (<c>--config</c>) and command-line flags (flags win).
/// Property names in the file are camelCase: <c>{"trustStore":"…","minTrust":2,"tools":{"transfer":{"minTrust":3}}}</c>.
/// </summary>
public sealed record GatewayOptions
{
    /// <summary>Directory of trusted anchors and known passports (local trust store).</summary>
    public string? TrustStore { get; init; }

    /// <summary>Trust Authority base URL for passports, status and revocation.</summary>
    public Uri? Authority { get; init; }

    /// <summary>The Trust Authority's anchor name: the <c>issuer</c> of the passports it signs (default <c>agenttrust-ta</c>).</summary>
    public string AuthorityName { get; init; } = "agenttrust-ta";

    /// <summary>Minimum effective trust level for every request (0–4).</summary>
    public int MinTrust { get; init; }

    /// <summary>Per-tool rules by tool name.</summary>
    public IReadOnlyDictionary<string, ToolRule> Tools { get; init; } = new Dictionary<string, ToolRule>(StringComparer.Ordinal);

    /// <summary>Attestation-token verification (issuers, audience, mode); off when no issuer is configured.</summary>
    public AttestationSettings Attestation { get; init; } = new();

    /// <summary>Tool pin file; null keeps pins in memory for this run only.</summary>
    public string? Pins { get; init; }

    /// <summary>Refuse tools seen for the first time instead of pinning them (trust on first use).</summary>
    public bool StrictPins { get; init; }

    /// <summary>Turn tool pinning off entirely.</summary>
    public bool DisablePins { get; init; }

    /// <summary>Directory of the audit log (receipts of every tool call).</summary>
    public string? AuditDir { get; init; }

    /// <summary>
    /// Where MCPS nonces and attestation <c>jti</c>s are remembered for their whole window: <c>sqlite:PATH</c>,
    /// <c>postgres:CONNSTR</c> or <c>memory</c>. Null means the host's default, a SQLite file shared by every gateway
    /// process of the same side (<c>proxy</c> or <c>agent-proxy</c>) on the machine: a stdio gateway is one process per connection, so an in-memory store would let a
    /// message captured on one connection be replayed on the next.
    /// </summary>
    public string? ReplayStore { get; init; }

    /// <summary>
    /// <c>agent-proxy</c>: the passport id of the server gateway, the only accepted countersigner. Null pins the first
    /// countersigner seen (trust on first use), kept with the tool pins (<see cref="Pins"/>, or this connection only).
    /// </summary>
    public string? ServerPassport { get; init; }

    /// <summary>Behaviour when the Trust Authority is unreachable.</summary>
    public FailurePolicy FailurePolicy { get; init; } = FailurePolicy.Closed;

    /// <summary>Name of the gateway's own key in the key store (created on first use).</summary>
    public string? Key { get; init; }

    /// <summary>The gateway's own passport file (created on first use, self-signed, when absent).</summary>
    public string? Passport { get; init; }

    /// <summary>Largest accepted message in bytes.</summary>
    public int MaxMessageBytes { get; init; } = Messages.MessageLimits.Default.MaxMessageBytes;

    /// <summary>Deepest accepted JSON nesting.</summary>
    public int MaxDepth { get; init; } = Messages.MessageLimits.Default.MaxDepth;

    /// <summary>Seconds the server child gets to exit after its input closed, before it is killed.</summary>
    public double ShutdownTimeoutSeconds { get; init; } = 5;

    /// <summary>HTTP mode: the upstream MCP endpoint.</summary>
    public Uri? Upstream { get; init; }

    /// <summary>HTTP mode: the local address to listen on (<c>127.0.0.1:PORT</c>).</summary>
    public string? Listen { get; init; }

    /// <summary>HTTP mode: accepted <c>Host</c> header values (default: the listen address, localhost and 127.0.0.1 on its port).</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>HTTP mode: accepted <c>Origin</c> header values (requests without Origin are accepted).</summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];

    /// <summary>HTTP mode: how long a session nobody uses is kept before it is forgotten (default 30 minutes).</summary>
    public TimeSpan HttpSessionIdleTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>HTTP mode: the most sessions kept at once; beyond it the least recently used is forgotten (default 10,000).</summary>
    public int MaxHttpSessions { get; init; } = 10_000;

    /// <summary>
    /// Where to export the gateway's metrics (meters <c>AgentTrust.Gateway</c> and <c>AgentTrust.Attestation</c>) with
    /// OTLP over HTTP/protobuf: the collector's full metrics URL, for example <c>http://127.0.0.1:4318/v1/metrics</c>;
    /// null exports nothing.
    /// </summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary>The message bounds.</summary>
    public Messages.MessageLimits Limits => new() { MaxMessageBytes = MaxMessageBytes, MaxDepth = MaxDepth };

    /// <summary>True when the configuration asks for signature and passport checks on client messages.</summary>
    public bool RequiresVerification => TrustStore is not null || Authority is not null || MinTrust > 0
        || Tools.Values.Any(t => t.MinTrust > 0 || t.RequireAttestation);
}
