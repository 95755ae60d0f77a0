using AgentTrust.Errors;

namespace AgentTrust.Mcps.Versions;

/// <summary>Version negotiation (mcps.md §12): the highest mutual version by numeric comparison, or MCPS-015.</summary>
public static class McpsVersionNegotiation
{
    /// <summary>The versions this implementation supports.</summary>
    public static IReadOnlyList<string> Supported { get; } = ["1.0"];

    /// <summary>The highest version both lists contain (malformed entries ignored); null when none.</summary>
    /// <returns>The server's spelling of the chosen version, or null.</returns>
    public static string? Negotiate(IEnumerable<string?> client, IEnumerable<string?> server)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(server);
        var clientVersions = client.Select(v => McpsVersion.TryParse(v, out var p) ? p : null).OfType<McpsVersion>().ToList();
        McpsVersion? best = null;
        foreach (var text in server)
        {
            if (McpsVersion.TryParse(text, out var candidate) && clientVersions.Contains(candidate) && (best is null || candidate > best))
            {
                best = candidate;
            }
        }

        return best?.Text;
    }

    /// <summary>The single-string form: the client offers one version.</summary>
    public static string? Negotiate(string? client, IEnumerable<string?> server) => Negotiate([client], server);

    /// <summary>Negotiates or fails with MCPS-015 <c>unsupported_version</c>.</summary>
    public static McpsFailure? TryNegotiate(IEnumerable<string?> client, IEnumerable<string?> server, out string? version)
    {
        version = Negotiate(client, server);
        return version is null ? new McpsFailure(McpsCode.VersionMismatch, McpsReasons.UnsupportedVersion) : null;
    }
}
