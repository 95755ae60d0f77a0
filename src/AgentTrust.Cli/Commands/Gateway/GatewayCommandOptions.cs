using System.CommandLine;
using AgentTrust.Gateway.Configuration;

namespace AgentTrust.Cli.Commands.Gateway;

/// <summary>The options shared by <c>proxy</c> and <c>agent-proxy</c>, and their merge with a configuration file.</summary>
internal sealed class GatewayCommandOptions
{
    public Option<FileInfo> Config { get; } = new("--config") { Description = "Configuration file: JSON, or YAML when named .yaml/.yml (same members: camelCase as the flags, plus per-tool rules under \"tools\"; YAML without anchors, aliases, tags or duplicate keys, and only true/false as booleans)" };

    public Option<DirectoryInfo> TrustStore { get; } = new("--trust-store") { Description = "Directory of trusted anchors and known passports" };

    public Option<string> Authority { get; } = new("--authority") { Description = "Trust Authority base URL" };

    public Option<string> AuthorityName { get; } = new("--authority-name") { Description = "The Trust Authority's anchor name, the issuer of its passports (default agenttrust-ta)" };

    public Option<int?> MinTrust { get; } = new("--min-trust") { Description = "Minimum effective trust level 0-4 for every request" };

    public Option<FileInfo> Pins { get; } = new("--pins") { Description = "Tool pin file (kept across runs; without it pins last one run)" };

    public Option<bool> StrictPins { get; } = new("--strict-pins") { Description = "Refuse tools seen for the first time instead of pinning them" };

    public Option<bool> NoPins { get; } = new("--no-pins") { Description = "Do not pin tool definitions" };

    public Option<DirectoryInfo> AuditDir { get; } = new("--audit-dir") { Description = "Audit log directory (a receipt per tool call); with --authority, anchored there every 100 records or 60 s and at shutdown" };

    public Option<string> ReplayStore { get; } = new("--replay-store")
    {
        Description = "Where nonces and attestation jti are held for their window: mapped:PATH (the default on 64-bit Linux, at <AGENTTRUST_HOME>/gateway/replay.map for proxy and agent-replay.map for agent-proxy, each shared by every gateway process of that side on this machine; on a local disk; no disk flush per message: after a reboot the table starts empty and messages dated up to 60 s after its first reopen are refused), sqlite-fenced:PATH (the same guarantees in a SQLite file; the default where there is no boot id, and where an earlier version's replay.db or agent-replay.db exists, until it is removed), sqlite:PATH (a disk flush per message), postgres:CONNSTR (shared across machines) or memory (this process only: a replay on a new stdio connection would pass)",
    };

    public Option<string> FailurePolicy { get; } = new("--failure-policy") { Description = "When the Trust Authority does not answer: closed (default, refuse with MCPS-007), cached (accept its last answer up to 1 h old), open (proceed with the level capped at 1)" };

    public Option<string> ServerPassport { get; } = new("--server-passport")
    {
        Description = "agent-proxy: the passport id of the server gateway, the only accepted countersigner (default: the first one seen is pinned with the tool pins, and another is refused with MCPS-011)",
    };

    public Option<string> Key { get; } = new("--key") { Description = "Name of this side's key in the key store (created on first use)" };

    public Option<FileInfo> Passport { get; } = new("--passport") { Description = "This side's passport file" };

    public Option<int?> MaxMessageBytes { get; } = new("--max-message-bytes") { Description = "Largest accepted message (default 4194304)" };

    public Option<double?> ShutdownTimeout { get; } = new("--shutdown-timeout") { Description = "Seconds the server gets to exit after the client closed, before it is killed (default 5)" };

    public Option<string> OtlpEndpoint { get; } = new("--otlp-endpoint") { Description = "Export metrics (AgentTrust.Gateway, AgentTrust.Attestation) with OTLP over HTTP/protobuf to this URL, e.g. http://127.0.0.1:4318/v1/metrics" };

    public Option<string> Upstream { get; } = new("--upstream") { Description = "HTTP mode: the upstream MCP endpoint (Streamable HTTP)" };

    public Option<string> Listen { get; } = new("--listen") { Description = "HTTP mode: local address to listen on, 127.0.0.1:PORT" };

    public Option<string[]> AllowedHosts { get; } = new("--allowed-host") { Description = "HTTP mode: accepted Host header (repeatable)", AllowMultipleArgumentsPerToken = false };

    public Option<string[]> AllowedOrigins { get; } = new("--allowed-origin") { Description = "HTTP mode: accepted Origin header (repeatable)", AllowMultipleArgumentsPerToken = false };

    public Option<string[]> AttestationIssuers { get; } = new("--attestation-issuer") { Description = "Trusted attestation-token issuer URL (repeatable; one --attestation-jwks each, in the same order). Turns the attestation check on", AllowMultipleArgumentsPerToken = false };

    public Option<string[]> AttestationJwks { get; } = new("--attestation-jwks") { Description = "JWKS of the matching --attestation-issuer: a file or an http(s) URL (repeatable)", AllowMultipleArgumentsPerToken = false };

    public Option<string> AttestationAudience { get; } = new("--attestation-audience") { Description = "The aud every attestation token must carry (required when issuers are configured)" };

    public Option<string> AttestationMode { get; } = new("--attestation-mode") { Description = "required, preferred or optional (default optional: a missing token proceeds at level none; a present token that fails is always refused; under required only initialize, which must carry the token, and server/discover pass without a verdict of their signer)" };

    public Argument<string[]> ServerCommand { get; } = new("server-command") { Description = "stdio mode: the MCP server command and its arguments, after --", Arity = ArgumentArity.ZeroOrMore };

    /// <summary>Adds the options; the attestation-token options only on the server side (<c>proxy</c>), which verifies tokens.</summary>
    public void AddTo(Command command, bool serverSide)
    {
        foreach (var option in new Option[] { Config, TrustStore, Authority, AuthorityName, MinTrust, Pins, StrictPins, NoPins, AuditDir, ReplayStore, FailurePolicy, Key, Passport, MaxMessageBytes, ShutdownTimeout, OtlpEndpoint, Upstream, Listen, AllowedHosts, AllowedOrigins })
        {
            command.Options.Add(option);
        }

        if (!serverSide)
        {
            command.Options.Add(ServerPassport);
        }

        if (serverSide)
        {
            foreach (var option in new Option[] { AttestationIssuers, AttestationJwks, AttestationAudience, AttestationMode })
            {
                command.Options.Add(option);
            }
        }

        command.Arguments.Add(ServerCommand);
    }

    private static Uri? HttpUrl(string? text, string option) =>
        text is null ? null
        : Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) ? uri
        : throw CliFailure.Usage($"{option} must be an absolute http or https URL");

    // Flags replace the file's issuer list as a whole; audience and mode override one by one.
    private AttestationSettings ResolveAttestation(ParseResult parse, AttestationSettings settings)
    {
        var issuers = parse.GetValue(AttestationIssuers) ?? [];
        var jwks = parse.GetValue(AttestationJwks) ?? [];
        if (issuers.Length != jwks.Length)
        {
            throw CliFailure.Usage("give one --attestation-jwks for each --attestation-issuer");
        }

        if (issuers.Length > 0)
        {
            settings = settings with { Issuers = [.. issuers.Zip(jwks, (i, k) => new AttestationIssuerSetting(i, k))] };
        }

        var mode = settings.Mode;
        if (parse.GetValue(AttestationMode) is { } modeText && !AgentTrust.Attestation.AttestationNames.TryParsePolicyMode(modeText, out mode))
        {
            throw CliFailure.Usage("--attestation-mode must be required, preferred or optional");
        }

        return settings with { Audience = parse.GetValue(AttestationAudience) ?? settings.Audience, Mode = mode };
    }

    /// <summary>The file's settings overridden by the flags given.</summary>
    public GatewayOptions Resolve(ParseResult parse)
    {
        GatewayOptions options;
        try
        {
            options = parse.GetValue(Config) is { } file ? GatewayOptionsFile.Load(file.FullName, validate: false) : new GatewayOptions();
        }
        catch (FileNotFoundException)
        {
            throw CliFailure.Environment("AT-ENV-FILE", "configuration file not found");
        }
        catch (InvalidDataException e)
        {
            throw CliFailure.Usage(e.Message);
        }

        var policy = options.FailurePolicy;
        if (parse.GetValue(FailurePolicy) is { } policyText)
        {
            policy = policyText switch
            {
                "closed" => AgentTrust.Gateway.Configuration.FailurePolicy.Closed,
                "cached" => AgentTrust.Gateway.Configuration.FailurePolicy.Cached,
                "open" => AgentTrust.Gateway.Configuration.FailurePolicy.Open,
                _ => throw CliFailure.Usage("--failure-policy must be closed, cached or open"),
            };
        }

        options = options with
        {
            Attestation = ResolveAttestation(parse, options.Attestation),
            TrustStore = parse.GetValue(TrustStore)?.FullName ?? options.TrustStore,
            Authority = HttpUrl(parse.GetValue(Authority), "--authority") ?? options.Authority,
            AuthorityName = parse.GetValue(AuthorityName) ?? options.AuthorityName,
            MinTrust = parse.GetValue(MinTrust) ?? options.MinTrust,
            Pins = parse.GetValue(Pins)?.FullName ?? options.Pins,
            StrictPins = parse.GetValue(StrictPins) || options.StrictPins,
            DisablePins = parse.GetValue(NoPins) || options.DisablePins,
            AuditDir = parse.GetValue(AuditDir)?.FullName ?? options.AuditDir,
            ReplayStore = parse.GetValue(ReplayStore) ?? options.ReplayStore,
            FailurePolicy = policy,
            ServerPassport = parse.GetValue(ServerPassport) ?? options.ServerPassport,
            Key = parse.GetValue(Key) ?? options.Key,
            Passport = parse.GetValue(Passport)?.FullName ?? options.Passport,
            MaxMessageBytes = parse.GetValue(MaxMessageBytes) ?? options.MaxMessageBytes,
            ShutdownTimeoutSeconds = parse.GetValue(ShutdownTimeout) ?? options.ShutdownTimeoutSeconds,
            Upstream = HttpUrl(parse.GetValue(Upstream), "--upstream") ?? options.Upstream,
            OtlpEndpoint = HttpUrl(parse.GetValue(OtlpEndpoint), "--otlp-endpoint") ?? options.OtlpEndpoint,
            Listen = parse.GetValue(Listen) ?? options.Listen,
            AllowedHosts = parse.GetValue(AllowedHosts) is { Length: > 0 } hosts ? hosts : options.AllowedHosts,
            AllowedOrigins = parse.GetValue(AllowedOrigins) is { Length: > 0 } origins ? origins : options.AllowedOrigins,
        };

        try
        {
            GatewayOptionsFile.Validate(options);
        }
        catch (InvalidDataException e)
        {
            throw CliFailure.Usage(e.Message);
        }

        return options;
    }
}
