using AgentTrust.Cryptography;

namespace AgentTrust.Mcps.Passports;

/// <summary>What a new passport says about its agent (mcps.md §7.1). Validated by <see cref="PassportIssuer"/>.</summary>
public sealed record PassportRequest
{
    /// <summary>The agent's ES256 public key (the key that will sign its messages).</summary>
    public required VerificationKey PublicKey { get; init; }

    /// <summary>The agent name (≤ 256 characters).</summary>
    public required string AgentName { get; init; }

    /// <summary>The agent version (≤ 256 characters).</summary>
    public string AgentVersion { get; init; } = "1.0.0";

    /// <summary>Capabilities (≤ 64, each ≤ 128 characters). More are refused, never truncated.</summary>
    public IReadOnlyList<string> Capabilities { get; init; } = [];

    /// <summary>The agent's serialized origin (<c>https://host[:port]</c>), or null.</summary>
    public string? Origin { get; init; }

    /// <summary>The passport id; a new random one when null.</summary>
    public string? PassportId { get; init; }

    /// <summary>The lifetime (default 30 days).</summary>
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromDays(30);

    /// <summary>The key this one replaces, recorded as <c>key_rotation.previous_key_hash</c>; null when not a rotation.</summary>
    public VerificationKey? PreviousKey { get; init; }

    /// <summary>The pinned code digest (<c>sha256:</c> + 64 hex), or null.</summary>
    public string? CodeDigest { get; init; }

    /// <summary>The pinned configuration digest (<c>sha256:</c> + 64 hex), or null.</summary>
    public string? ConfigDigest { get; init; }
}

/// <summary>Who signs a passport: a trust anchor by name, or a parent passport (whose chain is extended).</summary>
public sealed record PassportIssuerIdentity
{
    private PassportIssuerIdentity(string name, IReadOnlyList<string> chain)
    {
        Name = name;
        Chain = chain;
    }

    /// <summary>The <c>issuer</c> value written into the passport.</summary>
    public string Name { get; }

    /// <summary>The <c>issuer_chain</c> written into the passport (nearest ancestor first).</summary>
    public IReadOnlyList<string> Chain { get; }

    /// <summary>A trust anchor that verifiers configure under <paramref name="name"/>.</summary>
    public static PassportIssuerIdentity Anchor(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == "self" || name.Length > AgentPassport.MaxNameLength)
        {
            throw new ArgumentException("An anchor name is 1–256 characters and not 'self'.", nameof(name));
        }

        return new PassportIssuerIdentity(name, []);
    }

    /// <summary>An intermediate issuer: the parent passport (it must carry <c>passport:issue</c> for Default verifiers).</summary>
    /// <exception cref="ArgumentException">The chain would exceed 5 ancestors.</exception>
    public static PassportIssuerIdentity Intermediate(AgentPassport parent)
    {
        ArgumentNullException.ThrowIfNull(parent);
        if (parent.IssuerChain.Count + 1 > AgentPassport.MaxChainDepth)
        {
            throw new ArgumentException("The issuer chain would exceed 5 ancestors.", nameof(parent));
        }

        return new PassportIssuerIdentity(parent.PassportId, [Encoding.StrictBase64.Encode(parent.ToCanonicalJson()), .. parent.IssuerChain]);
    }
}
