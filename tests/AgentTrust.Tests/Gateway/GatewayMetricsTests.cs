using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using AgentTrust.Gateway.Diagnostics;
using AgentTrust.Gateway.Messages;
using AgentTrust.Gateway.Pipeline;
using AgentTrust.Tests.Gateway.Support;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// The gateway counts what it forwards and refuses (by code and reason) on the <c>AgentTrust.Gateway</c> meter, and
/// <c>--otlp-endpoint</c> exports it (with the attestation meter) to an OpenTelemetry collector, the last values at
/// shutdown.
/// </summary>
public sealed class GatewayMetricsTests
{
    [Fact]
    public async Task Forwarded_and_refused_messages_are_counted_with_the_refusals_code_and_reason()
    {
        using var metrics = new GatewayMetrics();
        var messages = new List<(long Value, Dictionary<string, object?> Tags)>();
        var refusals = new List<(long Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == GatewayMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var entry = (value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value));
            (instrument.Name == "agenttrust.gateway.refusals" ? refusals : messages).Add(entry);
        });
        listener.Start();
        var pipeline = new RelayPipeline([], metrics: metrics);

        await pipeline.ProcessAsync("""{"jsonrpc":"2.0","id":1,"method":"ping"}"""u8.ToArray(), RelayDirection.ClientToServer);
        await pipeline.ProcessAsync("garbage"u8.ToArray(), RelayDirection.ClientToServer);
        pipeline.RejectOversized(RelayDirection.ServerToClient);

        Assert.Equal(["forwarded", "refused", "refused"], messages.Select(m => m.Tags["outcome"]));
        Assert.Equal(["client_to_server", "client_to_server", "server_to_client"], messages.Select(m => m.Tags["direction"]));
        Assert.Equal(2, refusals.Count);
        Assert.Equal("parse_error", refusals[0].Tags["reason"]);
        Assert.Equal("-32700", refusals[0].Tags["code"]);
        Assert.Equal("too_large", refusals[1].Tags["reason"]);
        Assert.Equal("MCPS-016", refusals[1].Tags["code"]);
    }

    [Fact]
    public async Task The_proxy_exports_its_metrics_to_an_otlp_collector_at_shutdown()
    {
        using var collector = new LoopbackCollector();
        using var scratch = new ScratchDirectory();
        await using var gateway = new RawGatewayProcess(["--no-pins", "--otlp-endpoint", collector.Url.AbsoluteUri], ["node", GatewayPeers.RecordingServer],
            new Dictionary<string, string> { ["RECEIVED_LOG"] = scratch.File("received.jsonl") });
        await gateway.InitializeAsync();
        await gateway.SendAsync("garbage");
        await gateway.ReceiveAsync();

        gateway.CloseInput();
        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        var exported = collector.Bodies();
        Assert.Contains(exported, b => Contains(b, "agenttrust.gateway.refusals") && Contains(b, "parse_error") && Contains(b, "agenttrust.gateway.messages"));
        Assert.All(collector.Paths(), p => Assert.Equal("/v1/metrics", p));
    }

    private static bool Contains(byte[] body, string text) => body.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(text)) >= 0;

    // An OTLP/HTTP collector on 127.0.0.1 that keeps what it is sent.
    private sealed class LoopbackCollector : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly List<(string Path, byte[] Body)> _received = [];
        private readonly Task _loop;

        public LoopbackCollector()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Url = new Uri($"http://127.0.0.1:{port}/v1/metrics");
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            _listener.Start();
            _loop = Task.Run(ServeAsync);
        }

        public Uri Url { get; }

        public IReadOnlyList<byte[]> Bodies()
        {
            lock (_received)
            {
                return [.. _received.Select(r => r.Body)];
            }
        }

        public IReadOnlyList<string> Paths()
        {
            lock (_received)
            {
                return [.. _received.Select(r => r.Path)];
            }
        }

        public void Dispose()
        {
            _listener.Close();
            try
            {
                _loop.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
                // Stopped while waiting for a request.
            }
        }

        private async Task ServeAsync()
        {
            while (true)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                lock (_received)
                {
                    _received.Add((context.Request.Url!.AbsolutePath, body.ToArray()));
                }

                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
                context.Response.Close();
            }
        }
    }
}
