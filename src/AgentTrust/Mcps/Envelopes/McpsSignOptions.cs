using System.Text.Json.Nodes;
using AgentTrust.Mcps.Passports;

namespace AgentTrust.Mcps.Envelopes;

/// <summary>Per-message options of <see cref="McpsMessageSigner"/>.</summary>
public sealed record McpsSignOptions
{
    /// <summary>The default options: <c>_meta</c> placement, no channel binding.</summary>
    public static McpsSignOptions Default { get; } = new();

    /// <summary>The placement (default <see cref="EnvelopePlacement.Meta"/>). Errors whose <c>error.data</c> is not an object, and by-position params, fall back to P1.</summary>
    public EnvelopePlacement Placement { get; init; } = EnvelopePlacement.Meta;

    /// <summary>The channel binding (for example <c>tls-exporter:&lt;hex&gt;</c>) added to the signed payload; never carried in the message.</summary>
    public string? ChannelBinding { get; init; }

    /// <summary>The intended server (<c>io.agenttrust/aud</c>, requests only, <c>_meta</c> placement). Signed content.</summary>
    public string? Audience { get; init; }

    /// <summary>The hash of the request answered (<c>io.agenttrust/reply-to</c>, responses, <c>_meta</c> placement). Signed content.</summary>
    public string? ReplyTo { get; init; }

    /// <summary>The signer's passport, embedded as <c>io.agenttrust/passport</c> (<c>_meta</c> placement). Signed content.</summary>
    public JsonObject? EmbeddedPassport { get; init; }

    /// <summary>
    /// The signer's passport to embed, as <see cref="EmbeddedPassport"/> with <see cref="AgentPassport.ToJsonObject"/>
    /// (the same bytes on the wire), for signers that embed the same passport in every message: the signer prepares its
    /// JSON and canonical form once per passport instead of once per message. Set at most one of the two.
    /// </summary>
    public AgentPassport? Passport { get; init; }
}
