using System.Net;

namespace AgentTrust.Gateway.Http;

/// <summary>DNS-rebinding protection: the <c>Host</c> and <c>Origin</c> headers must name the gateway itself.</summary>
internal sealed class HostValidation
{
    private readonly HashSet<string> _hosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _origins = new(StringComparer.OrdinalIgnoreCase);

    public HostValidation(IPEndPoint listen, IEnumerable<string> extraHosts, IEnumerable<string> extraOrigins)
    {
        var port = listen.Port;
        foreach (var host in new[] { $"127.0.0.1:{port}", $"localhost:{port}", $"[::1]:{port}", listen.ToString() })
        {
            _hosts.Add(host);
            _origins.Add($"http://{host}");
        }

        _hosts.UnionWith(extraHosts);
        _origins.UnionWith(extraOrigins);
    }

    public bool IsAllowedHost(string? host) => host is not null && _hosts.Contains(host);

    /// <summary>Requests without an Origin (non-browser clients) are accepted; a browser's Origin must be listed.</summary>
    public bool IsAllowedOrigin(string? origin) => string.IsNullOrEmpty(origin) || _origins.Contains(origin);
}
