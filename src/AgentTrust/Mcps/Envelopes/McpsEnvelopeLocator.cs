using System.Text.Json.Nodes;
using AgentTrust.Errors;

namespace AgentTrust.Mcps.Envelopes;

/// <summary>Finds the container of a message in either placement (mcps.md §3, §6 step 3).</summary>
internal static class McpsEnvelopeLocator
{
    /// <summary>The P2 parent object of a message kind, or null when absent; false when a parent or <c>_meta</c> exists but is not an object.</summary>
    public static bool TryGetMetaParent(JsonObject message, JsonRpcMessageKind kind, out JsonObject? parent, out bool parentIsNotObject)
    {
        parent = null;
        parentIsNotObject = false;
        JsonNode? node;
        switch (kind)
        {
            case JsonRpcMessageKind.Request or JsonRpcMessageKind.Notification:
                if (!message.TryGetPropertyValue("params", out node))
                {
                    return true;
                }

                break;
            case JsonRpcMessageKind.Result:
                if (!message.TryGetPropertyValue("result", out node))
                {
                    return true;
                }

                break;
            case JsonRpcMessageKind.Error:
                if (!message.TryGetPropertyValue("error", out var error) || error is not JsonObject errorObject
                    || !errorObject.TryGetPropertyValue("data", out node))
                {
                    return true;
                }

                break;
            default:
                return true;
        }

        if (node is JsonObject obj)
        {
            parent = obj;
            return true;
        }

        parentIsNotObject = true;
        return true;
    }

    /// <summary>
    /// Locates the container. Returns null failure and a null container for an unsigned message; a failure for
    /// <c>ambiguous_envelope</c> or <c>bad_meta</c>.
    /// </summary>
    public static McpsFailure? Locate(JsonObject message, out JsonNode? container, out EnvelopePlacement placement, out JsonObject? metaParent)
    {
        container = null;
        placement = EnvelopePlacement.Meta;
        var kind = JsonRpcMessageKinds.Classify(message);
        TryGetMetaParent(message, kind, out metaParent, out var parentIsNotObject);
        var hasTop = message.TryGetPropertyValue(McpsEnvelopeConstants.TopLevelMember, out var top);
        JsonNode? meta = null;
        var hasMeta = false;
        if (metaParent is not null && metaParent.TryGetPropertyValue(McpsEnvelopeConstants.Meta, out var metaNode))
        {
            if (metaNode is not JsonObject metaObject)
            {
                return new McpsFailure(McpsCode.InvalidSignature, McpsReasons.BadMeta);
            }

            hasMeta = metaObject.TryGetPropertyValue(McpsEnvelopeConstants.MetaKey, out meta);
        }

        if (hasTop && hasMeta)
        {
            return new McpsFailure(McpsCode.InvalidSignature, McpsReasons.AmbiguousEnvelope);
        }

        if (hasTop)
        {
            container = top;
            placement = EnvelopePlacement.TopLevel;
            // `"mcps": null` counts as present-but-malformed, so it fails the shape check rather than reading as unsigned.
            container ??= JsonValue.Create(false);
            return null;
        }

        if (hasMeta)
        {
            container = meta ?? JsonValue.Create(false);
            placement = EnvelopePlacement.Meta;
            return null;
        }

        // A non-object params/result/error.data cannot carry P2; without P1 the message is simply unsigned.
        _ = parentIsNotObject;
        return null;
    }
}
