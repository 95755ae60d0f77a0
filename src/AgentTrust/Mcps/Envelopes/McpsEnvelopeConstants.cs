namespace AgentTrust.Mcps.Envelopes;

/// <summary>Member names and the supported version of the MCPS envelope (mcps.md §3–§4, §12).</summary>
public static class McpsEnvelopeConstants
{
    /// <summary>The P1 top-level member.</summary>
    public const string TopLevelMember = "mcps";

    /// <summary>The P2 <c>_meta</c> key.</summary>
    public const string MetaKey = "io.agenttrust/mcps";

    /// <summary>The <c>_meta</c> member name.</summary>
    public const string Meta = "_meta";

    /// <summary>The embedded passport <c>_meta</c> key.</summary>
    public const string PassportMetaKey = "io.agenttrust/passport";

    /// <summary>The audience <c>_meta</c> key.</summary>
    public const string AudienceMetaKey = "io.agenttrust/aud";

    /// <summary>The reply binding <c>_meta</c> key.</summary>
    public const string ReplyToMetaKey = "io.agenttrust/reply-to";

    /// <summary>The runtime attestation <c>_meta</c> key.</summary>
    public const string RuntimeMetaKey = "io.agenttrust/runtime";

    /// <summary>The version this implementation emits.</summary>
    public const string Version = "1.0";
}
