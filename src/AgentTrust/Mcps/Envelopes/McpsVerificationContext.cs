namespace AgentTrust.Mcps.Envelopes;

/// <summary>Per-message expectations of the verifier (what this connection and this message require).</summary>
public sealed record McpsVerificationContext
{
    /// <summary>No expectations beyond the verifier's configuration.</summary>
    public static McpsVerificationContext None { get; } = new();

    /// <summary>The channel binding of this connection; when set the signature must cover it, when null it must not.</summary>
    public string? ChannelBinding { get; init; }

    /// <summary>The version negotiated on this connection; the envelope must carry it (MCPS-015).</summary>
    public string? NegotiatedVersion { get; init; }

    /// <summary>This server's audience (its passport id or endpoint): when set, requests must carry a matching <c>io.agenttrust/aud</c>.</summary>
    public string? ExpectedAudience { get; init; }

    /// <summary>The origin the signer's passport must declare (MCPS-011).</summary>
    public string? ExpectedOrigin { get; init; }

    /// <summary>For responses: the <c>message_hash</c> of the pending request with this id (<c>io.agenttrust/reply-to</c> must equal it).</summary>
    public string? ExpectedReplyTo { get; init; }

    /// <summary>The minimum effective trust level for this method or tool class (MCPS-009).</summary>
    public int MinimumTrustLevel { get; init; }

    /// <summary>True when an unsigned message must be rejected (MCPS-004 <c>missing_envelope</c>) rather than reported as <c>unsigned</c>.</summary>
    public bool RequireSignature { get; init; } = true;

    /// <summary>The runtime digests the signer's passport pins are compared with, taken from <c>io.agenttrust/runtime</c>.</summary>
    public bool CheckRuntimeAttestation { get; init; } = true;
}
