using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Json;

namespace AgentTrust.Mcps.Envelopes;

/// <summary>
/// Signs JSON-RPC messages of every kind (request, notification, result, error) in either placement (mcps.md §3, §5).
/// The container is added last, after every other <c>_meta</c> member. Signatures are ES256, low-S, canonical base64.
/// </summary>
public sealed class McpsMessageSigner
{
    private readonly SigningKey _key;
    private readonly TimeProvider _time;

    /// <summary>Creates a signer for one passport.</summary>
    /// <param name="key">The passport's ES256 key (the signer does not dispose it).</param>
    /// <param name="passportId">The signer's passport id (<c>asp_</c> + 32 hex).</param>
    /// <param name="time">The clock (default: system).</param>
    /// <exception cref="ArgumentException">The key is not ES256 or the passport id is malformed.</exception>
    public McpsMessageSigner(SigningKey key, string passportId, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Algorithm != SignatureAlgorithm.ES256)
        {
            throw new ArgumentException("MCPS messages are signed with ES256 only.", nameof(key));
        }

        if (!McpsIdentifiers.IsPassportId(passportId))
        {
            throw new ArgumentException("A passport id is asp_ followed by 32 lowercase hex characters.", nameof(passportId));
        }

        _key = key;
        PassportId = passportId;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The signer's passport id.</summary>
    public string PassportId { get; }

    /// <summary>Signs UTF-8 JSON text and returns the signed message as UTF-8 JSON.</summary>
    /// <exception cref="ArgumentException">The input is not a single strict JSON-RPC object, or is already signed.</exception>
    public byte[] Sign(ReadOnlySpan<byte> message, McpsSignOptions? options = null)
    {
        if (!McpsJson.TryParseObject(message, CanonicalJsonOptions.Strict, out var parsed, out var failure))
        {
            throw new ArgumentException($"The message cannot be signed: {failure}.", nameof(message));
        }

        return McpsJson.Serialize(Sign(parsed!, options));
    }

    /// <summary>Signs a message object in place and returns it.</summary>
    /// <exception cref="ArgumentException">The object is not a JSON-RPC message, or is already signed.</exception>
    /// <exception cref="CanonicalJsonException">The message holds something JCS cannot represent.</exception>
    public JsonObject Sign(JsonObject message, McpsSignOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        options ??= McpsSignOptions.Default;
        var kind = JsonRpcMessageKinds.Classify(message);
        if (kind == JsonRpcMessageKind.Unknown)
        {
            throw new ArgumentException("Not a JSON-RPC request, notification, result or error.", nameof(message));
        }

        if (McpsEnvelopeLocator.Locate(message, out var existing, out _, out _) is { } problem)
        {
            throw new ArgumentException($"The message cannot be signed: {problem}.", nameof(message));
        }

        if (existing is not null)
        {
            throw new ArgumentException("The message is already signed.", nameof(message));
        }

        var placement = options.Placement;
        JsonObject? meta = null;
        if (placement == EnvelopePlacement.Meta)
        {
            var parent = EnsureMetaParent(message, kind);
            if (parent is null)
            {
                placement = EnvelopePlacement.TopLevel;
            }
            else
            {
                meta = parent[McpsEnvelopeConstants.Meta] as JsonObject ?? [];
                parent[McpsEnvelopeConstants.Meta] = meta;
                if (options.Audience is not null && kind == JsonRpcMessageKind.Request)
                {
                    meta[McpsEnvelopeConstants.AudienceMetaKey] = options.Audience;
                }

                if (options.ReplyTo is not null && kind is JsonRpcMessageKind.Result or JsonRpcMessageKind.Error)
                {
                    meta[McpsEnvelopeConstants.ReplyToMetaKey] = options.ReplyTo;
                }

                if (options.EmbeddedPassport is not null)
                {
                    meta[McpsEnvelopeConstants.PassportMetaKey] = options.EmbeddedPassport.DeepClone();
                }
            }
        }

        var body = McpsPreimage.CanonicalBody(message, placement, CanonicalJsonOptions.Strict, inPlace: false);
        var nonce = McpsIdentifiers.NewNonce();
        var timestamp = McpsTimestamp.Format(_time.GetUtcNow());
        var signingInput = McpsPreimage.SigningInput(McpsPreimage.MessageHash(body), nonce, PassportId, timestamp, options.ChannelBinding);
        var container = new JsonObject
        {
            ["version"] = McpsEnvelopeConstants.Version,
            ["passport_id"] = PassportId,
            ["nonce"] = nonce,
            ["timestamp"] = timestamp,
            ["signature"] = StrictBase64.Encode(_key.Sign(signingInput)),
        };

        if (placement == EnvelopePlacement.TopLevel)
        {
            message[McpsEnvelopeConstants.TopLevelMember] = container;
        }
        else
        {
            meta![McpsEnvelopeConstants.MetaKey] = container;
        }

        return message;
    }

    /// <summary>Creates the P2 parent where the rules allow it; null when the message can only carry P1.</summary>
    private static JsonObject? EnsureMetaParent(JsonObject message, JsonRpcMessageKind kind)
    {
        switch (kind)
        {
            case JsonRpcMessageKind.Request or JsonRpcMessageKind.Notification:
                if (!message.TryGetPropertyValue("params", out var p))
                {
                    var created = new JsonObject();
                    message["params"] = created;
                    return created;
                }

                return p as JsonObject;
            case JsonRpcMessageKind.Result:
                return message["result"] as JsonObject;
            case JsonRpcMessageKind.Error:
                if (message["error"] is not JsonObject error)
                {
                    return null;
                }

                if (!error.TryGetPropertyValue("data", out var data))
                {
                    var created = new JsonObject();
                    error["data"] = created;
                    return created;
                }

                return data as JsonObject;
            default:
                return null;
        }
    }
}
