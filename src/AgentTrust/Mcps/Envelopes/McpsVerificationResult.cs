using AgentTrust.Errors;

namespace AgentTrust.Mcps.Envelopes;

/// <summary>The outcome of verifying one message (mcps.md §6): valid, or the code and reason of the first failed step.</summary>
public sealed record McpsVerificationResult
{
    /// <summary>True when every step passed.</summary>
    public bool IsValid { get; init; }

    /// <summary>The MCPS code of the failure, or null when valid (or merely unsigned).</summary>
    public McpsCode? Code { get; init; }

    /// <summary>The reason (closed set, <see cref="McpsReasons"/>), or null when valid.</summary>
    public string? Reason { get; init; }

    /// <summary>The JSON-RPC error code (−33000 − n), or null.</summary>
    public int? JsonRpcCode => Code?.ToJsonRpcCode();

    /// <summary>The signer's passport id, once read.</summary>
    public string? PassportId { get; init; }

    /// <summary>The RFC 7638 thumbprint of the passport key that signed the message, when verified against a passport.</summary>
    public string? SignerThumbprint { get; init; }

    /// <summary>The effective trust level (0 unless a verified chain reaches an anchor).</summary>
    public int EffectiveTrustLevel { get; init; }

    /// <summary>Where the container was found, when found.</summary>
    public EnvelopePlacement? Placement { get; init; }

    /// <summary>The <c>message_hash</c> (lowercase hex), once computed.</summary>
    public string? MessageHash { get; init; }

    /// <summary>The envelope nonce, once read.</summary>
    public string? Nonce { get; init; }

    /// <summary>The envelope timestamp, once parsed.</summary>
    public DateTimeOffset? Timestamp { get; init; }

    /// <summary>The message carried no envelope and none was required (the caller's policy decides).</summary>
    public bool IsUnsigned => Reason == McpsReasons.Unsigned;

    /// <summary>The failure as a value, or null when valid.</summary>
    public McpsFailure? Failure => Code is { } code ? new McpsFailure(code, Reason ?? "") : null;

    internal static McpsVerificationResult Fail(McpsFailure failure) => new() { Code = failure.Code, Reason = failure.Reason };
}
