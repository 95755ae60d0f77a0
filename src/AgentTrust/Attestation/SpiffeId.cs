namespace AgentTrust.Attestation;

/// <summary>
/// A SPIFFE ID (<c>spiffe://trust-domain/path</c>) validated per attestation.md §1.3: trust domain of
/// <c>[a-z0-9.-_]</c>, path segments of <c>[A-Za-z0-9.-_]</c>, non-empty, not <c>.</c> or <c>..</c>, no query,
/// fragment, port or userinfo, at most 2048 bytes.
/// </summary>
public sealed record SpiffeId
{
    private const string Scheme = "spiffe://";

    private SpiffeId(string trustDomain, string path)
    {
        TrustDomain = trustDomain;
        Path = path;
    }

    /// <summary>The trust domain (lower case).</summary>
    public string TrustDomain { get; }

    /// <summary>The path including its leading <c>/</c>.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public override string ToString() => Scheme + TrustDomain + Path;

    /// <summary>Builds and validates <c>spiffe://{trustDomain}/{segments…}</c>.</summary>
    /// <exception cref="ArgumentException">The result is not a valid SPIFFE ID.</exception>
    public static SpiffeId Create(string trustDomain, params string[] segments)
    {
        var text = Scheme + trustDomain + "/" + string.Join('/', segments);
        return TryParse(text, out var id, out var reason) ? id! : throw new ArgumentException(reason, nameof(segments));
    }

    /// <summary>Parses and validates; returns false with a reason for anything else.</summary>
    public static bool TryParse(string? text, out SpiffeId? id, out string? reason)
    {
        id = null;
        if (string.IsNullOrEmpty(text) || System.Text.Encoding.UTF8.GetByteCount(text) > 2048)
        {
            reason = "empty or longer than 2048 bytes";
            return false;
        }

        if (!text.StartsWith(Scheme, StringComparison.Ordinal))
        {
            reason = "scheme is not spiffe://";
            return false;
        }

        var rest = text.AsSpan(Scheme.Length);
        var slash = rest.IndexOf('/');
        var domain = slash < 0 ? rest : rest[..slash];
        if (domain.IsEmpty)
        {
            reason = "trust domain empty";
            return false;
        }

        foreach (var c in domain)
        {
            if (!(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-' or '_'))
            {
                reason = "trust domain holds a character outside [a-z0-9.-_]";
                return false;
            }
        }

        if (slash < 0)
        {
            reason = "no path (an agent's SPIFFE ID names a workload)";
            return false;
        }

        var path = rest[slash..];
        foreach (var range in path[1..].Split('/'))
        {
            var segment = path[1..][range];
            if (segment.IsEmpty || segment is "." or "..")
            {
                reason = "path segment empty, '.' or '..'";
                return false;
            }

            foreach (var c in segment)
            {
                if (!(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '-' or '_'))
                {
                    reason = "path holds a character outside [A-Za-z0-9.-_]";
                    return false;
                }
            }
        }

        id = new SpiffeId(domain.ToString(), path.ToString());
        reason = null;
        return true;
    }
}
