using System.ComponentModel;
using AgentTrust.Attestation;
using AgentTrust.Audit;
using AgentTrust.Gateway.Diagnostics;
using AgentTrust.Gateway.Configuration;
using AgentTrust.Gateway.Http;
using AgentTrust.Gateway.Identity;
using AgentTrust.Gateway.Pipeline;
using AgentTrust.Gateway.Stdio;
using AgentTrust.KeyStore;
using AgentTrust.Replay;
using AgentTrust.Storage.PostgreSql;
using AgentTrust.Storage.Sqlite;
using AgentTrust.TrustAuthority;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;

namespace AgentTrust.Cli.Commands.Gateway;

/// <summary>
/// What both gateway commands load before relaying (identity, trust store, audit log, logging), and the choice between
/// the stdio child process and the HTTP front end. Owns and disposes all of it.
/// </summary>
internal sealed class GatewayHost : IAsyncDisposable
{
    private readonly CliContext _context;
    private readonly GatewayOptions _options;
    private readonly ILoggerFactory _loggers;

    // stderr carries the gateway's log lines (from the pump threads) and the server's stderr (relayed asynchronously):
    // one writer, every call serialised, so neither can find the other's write in progress and fail.
    private readonly TextWriter _error;
    private readonly MeterProvider? _meterProvider;
    private readonly bool _agentSide;

    private GatewayHost(CliContext context, GatewayOptions options, bool agentSide)
    {
        _agentSide = agentSide;
        _context = context;
        _options = options;
        _error = TextWriter.Synchronized(context.Error);
        _loggers = LoggerFactory.Create(b => b.AddProvider(new TextWriterLoggerProvider(_error, LogLevel.Warning)));
        if (options.OtlpEndpoint is { } endpoint)
        {
            _meterProvider = Sdk.CreateMeterProviderBuilder()
                .AddMeter(GatewayMetrics.MeterName, AttestationMetrics.MeterName)
                .AddOtlpExporter((exporter, reader) =>
                {
                    exporter.Endpoint = endpoint;
                    exporter.Protocol = OtlpExportProtocol.HttpProtobuf;
                    reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)MetricsExportInterval.TotalMilliseconds;
                })
                .Build();
        }
    }

    /// <summary>How often metrics are exported with <c>--otlp-endpoint</c> (and once more at shutdown).</summary>
    public static TimeSpan MetricsExportInterval { get; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest the last export at shutdown may take.</summary>
    public static TimeSpan MetricsShutdownTimeout { get; } = TimeSpan.FromSeconds(2);

    /// <summary>The gateway's instruments (exported with <c>--otlp-endpoint</c>).</summary>
    public GatewayMetrics Metrics { get; } = new();

    /// <summary>The attestation verifier's instruments (exported with <c>--otlp-endpoint</c>).</summary>
    public AttestationMetrics AttestationMetrics { get; } = new();

    public GatewayIdentity? Identity { get; private set; }

    /// <summary>The gateway's loggers (stderr, warnings and above).</summary>
    public ILoggerFactory Loggers => _loggers;

    public LocalTrustStore? TrustStore { get; private set; }

    /// <summary>Anchors, passport lookup and status from the trust store and/or the Trust Authority; null when neither is configured.</summary>
    public TrustSources? Trust { get; private set; }

    private HttpClient? AuthorityHttp { get; set; }

    public AuditLog? Audit { get; private set; }

    /// <summary>The replay store shared by every pipeline of this gateway (see <see cref="GatewayOptions.ReplayStore"/>).</summary>
    public IReplayStore ReplayStore { get; private set; } = null!;

    /// <summary>Opens the gateway's trust sources, identity, audit log and replay store.</summary>
    /// <param name="context">The command's context.</param>
    /// <param name="options">The gateway's options.</param>
    /// <param name="agentSide">
    /// True for <c>agent-proxy</c>: it signs, so an identity is required, and its default nonce table is
    /// <c>agent-replay.map</c> (the server side's is <c>replay.map</c>). The two sides never register the same values (one
    /// holds the agents' request nonces, the other the answers' nonces), so they need not wait for each other's lock.
    /// </param>
    /// <param name="cancellationToken">Cancels opening.</param>
    public static async Task<GatewayHost> OpenAsync(CliContext context, GatewayOptions options, bool agentSide, CancellationToken cancellationToken)
    {
        var host = new GatewayHost(context, options, agentSide);
        try
        {
            if (options.TrustStore is not null)
            {
                try
                {
                    host.TrustStore = LocalTrustStore.Open(options.TrustStore);
                }
                catch (Exception e) when (e is DirectoryNotFoundException or InvalidDataException)
                {
                    throw CliFailure.Environment("AT-ENV-FILE", $"trust store: {e.Message}");
                }
            }

            host.Trust = host.TrustStore is null ? null : TrustSources.From(host.TrustStore);
            if (options.Authority is { } authority)
            {
                host.Trust = await ConnectAuthorityAsync(host, authority, options, context, cancellationToken).ConfigureAwait(false);
            }

            if (options.Key is null && (options.Passport is not null || agentSide))
            {
                throw CliFailure.Usage(agentSide ? "agent-proxy needs --key NAME (and --passport FILE)" : "--passport needs --key NAME");
            }

            if (options.Key is { } keyName)
            {
                if (!KeyNames.IsValid(keyName))
                {
                    throw CliFailure.Usage("--key: invalid key name");
                }

                var passportPath = options.Passport ?? Path.Combine(context.HomeDirectory, "gateway", keyName + ".passport.json");
                try
                {
                    host.Identity = await GatewayIdentity.LoadOrCreateAsync(
                        new FileKeyStore(FileKeyStore.DefaultDirectory(context.HomeDirectory), context.Time), keyName, passportPath,
                        () => NonEmpty(context.GetEnvironmentVariable("AGENTTRUST_PASSPHRASE")) ?? NonEmpty(context.GetEnvironmentVariable("SIGNET_PASSPHRASE")),
                        context.Time, cancellationToken).ConfigureAwait(false);
                }
                catch (InvalidDataException e)
                {
                    throw CliFailure.Environment("AT-ENV-FILE", e.Message);
                }
                catch (KeyStoreException e)
                {
                    throw CliFailure.Environment("AT-ENV-KEY", e.Message);
                }
            }

            if (options.AuditDir is { } auditDir)
            {
                if (host.Identity is null)
                {
                    throw CliFailure.Usage("--audit-dir needs the gateway's identity: --key NAME");
                }

                // With --authority the log is anchored there automatically (receipts.md §7.6), and once more at shutdown.
                var anchoring = host.AuthorityHttp is null ? null : await AuditAnchoringSetup.CreateAsync(context, auditDir, host.AuthorityHttp, host.Identity.ReceiptKey, null, host._loggers.CreateLogger("AgentTrust.Audit"), cancellationToken).ConfigureAwait(false);
                host.Audit = await AuditLog.OpenAsync(new AuditLogOptions { Directory = auditDir, Time = context.Time, Anchoring = anchoring }, cancellationToken).ConfigureAwait(false);
            }

            host.ReplayStore = await OpenReplayStoreAsync(options.ReplayStore, agentSide, context, cancellationToken).ConfigureAwait(false);
            return host;
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs the stdio or HTTP front end with stages built for the given server identity.</summary>
    /// <param name="serverCommand">The stdio server's command line, or empty in HTTP mode.</param>
    /// <param name="createStages">The stages for a server identity.</param>
    /// <param name="cancellationToken">Stops the gateway.</param>
    public async Task<int> RunAsync(string[] serverCommand, Func<string, IReadOnlyList<IRelayStage>> createStages, CancellationToken cancellationToken)
    {
        var logger = _loggers.CreateLogger("AgentTrust.Gateway");
        if (_options.Upstream is { } upstream)
        {
            if (serverCommand.Length > 0)
            {
                throw CliFailure.Usage("give either --upstream or a server command after --, not both");
            }

            if (_options.Listen is null)
            {
                throw CliFailure.Usage("--upstream needs --listen 127.0.0.1:PORT");
            }

            await using var gateway = new HttpGateway(CreateStages(createStages, upstream.AbsoluteUri), _options, _loggers) { Metrics = Metrics, ForwardsSessionProof = _agentSide };
            await gateway.RunAsync(cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        if (serverCommand.Length == 0)
        {
            throw CliFailure.Usage("give the MCP server command after --, or --upstream URL --listen 127.0.0.1:PORT");
        }

        var server = new ServerCommand(serverCommand[0], serverCommand[1..]);
        var pipeline = new RelayPipeline(CreateStages(createStages, server.Identity), _options.Limits, logger, Metrics);
        var stdio = new StdioGateway(pipeline, server, logger)
        {
            ShutdownTimeout = TimeSpan.FromSeconds(_options.ShutdownTimeoutSeconds),
            TimeProvider = _context.Time,
        };

        try
        {
            return await stdio.RunAsync(_context.StandardInput, TextWriterStream.For(_context.Out), _error, cancellationToken).ConfigureAwait(false);
        }
        catch (Win32Exception)
        {
            throw CliFailure.Environment("AT-ENV-SERVER", $"could not start the server command '{server.FileName}'");
        }
    }

    /// <summary>Disposes everything, even when one dispose throws (the identity's key material is always zeroed).</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            // The last values are exported before what they describe is closed, within a bound: an unreachable collector
            // must not hold up closing the stores and zeroing the keys.
            _meterProvider?.Shutdown((int)MetricsShutdownTimeout.TotalMilliseconds);
            _meterProvider?.Dispose();
            Metrics.Dispose();
            AttestationMetrics.Dispose();
        }
        finally
        {
            await DisposeResourcesAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask DisposeResourcesAsync()
    {
        try
        {
            if (Audit is not null)
            {
                await Audit.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            try
            {
                switch (ReplayStore)
                {
                    case IAsyncDisposable asyncStore:
                        await asyncStore.DisposeAsync().ConfigureAwait(false);
                        break;
                    case IDisposable store:
                        store.Dispose();
                        break;
                }
            }
            finally
            {
                try
                {
                    Identity?.Dispose();
                }
                finally
                {
                    AuthorityHttp?.Dispose();
                    _loggers.Dispose();
                }
            }
        }
    }

    // The side's table once it exists (every process of the side must use the same store, so one that cannot open it
    // fails rather than falling back); else the SQLite file an earlier version of this side used, if there is one (its
    // gateways may still be running, and a second store beside theirs would accept their messages again); else a new
    // table where one can be kept (64-bit Linux, with a boot id for its restart fence); else a fenced SQLite file.
    private static string DefaultReplayStore(CliContext context, bool agentSide)
    {
        var directory = Path.Combine(context.HomeDirectory, "gateway");
        var side = agentSide ? "agent-replay" : "replay";
        var table = Path.Combine(directory, side + ".map");
        if (File.Exists(table))
        {
            return "mapped:" + table;
        }

        // Versions before the table used replay.db for both sides, then agent-replay.db for the agent side.
        string[] earlier = agentSide ? ["agent-replay.db", "replay.db"] : ["replay.db"];
        var legacy = earlier.Select(name => Path.Combine(directory, name)).FirstOrDefault(File.Exists);
        if (legacy is not null)
        {
            return "sqlite-fenced:" + legacy;
        }

        return MappedReplayStore.IsSupported && MachineBootId.Read() is not null
            ? "mapped:" + table
            : "sqlite-fenced:" + Path.Combine(directory, side + ".db");
    }

    private static void CreatePrivateDirectory(string directory)
    {
        if (Directory.Exists(directory))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static async Task<IReplayStore> OpenReplayStoreAsync(string? spec, bool agentSide, CliContext context, CancellationToken cancellationToken)
    {
        try
        {
            spec ??= DefaultReplayStore(context, agentSide);
            if (spec == "memory")
            {
                return new InMemoryReplayStore(timeProvider: context.Time);
            }

            if (spec.StartsWith("mapped:", StringComparison.Ordinal) && spec.Length > "mapped:".Length)
            {
                var table = Path.GetFullPath(spec["mapped:".Length..]);
                CreatePrivateDirectory(Path.GetDirectoryName(table)!);
                return MappedReplayStore.Open(new MappedReplayStoreOptions { FilePath = table }, context.Time);
            }

            // sqlite: flushes every registration to disk; sqlite-fenced: does not, and keeps a restart fence instead.
            var fenced = spec.StartsWith("sqlite-fenced:", StringComparison.Ordinal);
            var prefix = fenced ? "sqlite-fenced:" : "sqlite:";
            if (spec.StartsWith(prefix, StringComparison.Ordinal) && spec.Length > prefix.Length)
            {
                var path = Path.GetFullPath(spec[prefix.Length..]);
                CreatePrivateDirectory(Path.GetDirectoryName(path)!);
                return await SqliteReplayStore.OpenAsync(new SqliteReplayStoreOptions { DatabasePath = path, DurableCommits = !fenced }, context.Time, cancellationToken).ConfigureAwait(false);
            }

            if (spec.StartsWith("postgres:", StringComparison.Ordinal) && spec.Length > "postgres:".Length)
            {
                return await PostgresReplayStore.OpenAsync(spec["postgres:".Length..], null, context.Time, null, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or PlatformNotSupportedException or Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException or InvalidOperationException)
        {
            throw CliFailure.Environment("AT-ENV-REPLAY", $"replay store: {e.Message}");
        }

        throw CliFailure.Usage("--replay-store must be mapped:PATH, sqlite:PATH, sqlite-fenced:PATH, postgres:CONNSTR or memory");
    }

    private static IReadOnlyList<IRelayStage> CreateStages(Func<string, IReadOnlyList<IRelayStage>> createStages, string identity)
    {
        try
        {
            return createStages(identity);
        }
        catch (InvalidDataException)
        {
            throw CliFailure.Environment("AT-ENV-FILE", "the tool pin file is not readable as pins");
        }
    }

    // The authority's passport-signing key comes from its JWKS, fetched (and checked) by the client with the signed
    // revocation list; without it no passport it issued can be verified, so an unreachable authority stops the start.
    private static async Task<TrustSources> ConnectAuthorityAsync(GatewayHost host, Uri authority, GatewayOptions options, CliContext context, CancellationToken cancellationToken)
    {
        var baseAddress = authority.AbsoluteUri.EndsWith('/') ? authority : new Uri(authority.AbsoluteUri + "/");
        host.AuthorityHttp = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var client = new TrustAuthorityClient(host.AuthorityHttp, new TrustAuthorityClientOptions
        {
            FailurePolicy = options.FailurePolicy switch
            {
                FailurePolicy.Cached => AuthorityFailurePolicy.FailOpenCached,
                FailurePolicy.Open => AuthorityFailurePolicy.FailOpen,
                _ => AuthorityFailurePolicy.FailClosed,
            },
        }, context.Time);
        await client.SyncRevocationsAsync(cancellationToken).ConfigureAwait(false);
        if (client.AuthorityKey is null)
        {
            throw CliFailure.Environment("MCPS-007", "the Trust Authority is unreachable or did not publish its key");
        }

        return TrustSources.From(options.AuthorityName, client.AuthorityKey, client, client, host.TrustStore);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
