using AgentTrust.Cryptography;

namespace AgentTrust.Jose;

/// <summary>The members of a JWS protected header that AgentTrust reads. Other members are ignored (never used to find keys).</summary>
public sealed class JwsHeader
{
    internal JwsHeader(SignatureAlgorithm algorithm, string? keyId, string? type, string? contentType, IReadOnlyList<string> memberNames)
    {
        Algorithm = algorithm;
        KeyId = keyId;
        Type = type;
        ContentType = contentType;
        MemberNames = memberNames;
    }

    /// <summary>The signature algorithm named by <c>alg</c> (always one of the accepted ones).</summary>
    public SignatureAlgorithm Algorithm { get; }

    /// <summary>The <c>kid</c>, when present.</summary>
    public string? KeyId { get; }

    /// <summary>The <c>typ</c>, when present.</summary>
    public string? Type { get; }

    /// <summary>The <c>cty</c>, when present.</summary>
    public string? ContentType { get; }

    /// <summary>The names of every member of the header, in order of appearance.</summary>
    public IReadOnlyList<string> MemberNames { get; }
}
