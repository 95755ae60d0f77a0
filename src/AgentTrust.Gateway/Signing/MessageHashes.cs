using System.Text.Json.Nodes;
using AgentTrust.Gateway.Pipeline;
using AgentTrust.Gateway.Verification;
using AgentTrust.Json;
using AgentTrust.Mcps.Envelopes;

namespace AgentTrust.Gateway.Signing;

/// <summary>The <c>message_hash</c> a response's <c>io.agenttrust/reply-to</c> names (mcps.md §3.3).</summary>
internal static class MessageHashes
{
    public const string SentHashKey = "agenttrust.mcps.sent_hash";

    /// <summary>
    /// The hash of a request as received: the verified envelope's hash when it was signed, otherwise SHA-256 of JCS of
    /// the whole request. Null when the request cannot be canonicalised.
    /// </summary>
    public static string? OfRequest(RelayExchange request)
    {
        if (request.Items.TryGetValue(McpsVerificationStage.ResultKey, out var value) && value is McpsVerificationResult { MessageHash: { } hash })
        {
            return hash;
        }

        if (request.Items.TryGetValue(SentHashKey, out var sent) && sent is string sentHash)
        {
            return sentHash;
        }

        try
        {
            // The envelope body (container removed) when signed, otherwise the whole request: the same bytes the
            // signer hashed, whether or not the signature turned out valid.
            if (JsonNode.Parse(request.ReceivedBytes.Span) is not JsonObject message)
            {
                return null;
            }

            var placement = message.ContainsKey(McpsEnvelopeConstants.TopLevelMember) ? EnvelopePlacement.TopLevel : EnvelopePlacement.Meta;
            return McpsPreimage.MessageHash(McpsPreimage.CanonicalBody(message, placement));
        }
        catch (Exception e) when (e is CanonicalJsonException or System.Text.Json.JsonException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }
}
