using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Json;
using AgentTrust.Json.Canonical;
using AgentTrust.Mcps.Passports;

namespace AgentTrust.Mcps.Envelopes;

/// <summary>
/// Signs JSON-RPC messages of every kind (request, notification, result, error) in either placement (mcps.md §3, §5).
/// The container is added last, after every other <c>_meta</c> member. Signatures are ES256, low-S, canonical base64.
/// </summary>
public sealed class McpsMessageSigner
{
    private readonly SigningKey _key;
    private readonly TimeProvider _time;
    private PassportForm? _passport;

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
        if (!JsonCanonicalizer.TryCanonicalize(message, CanonicalJsonOptions.Strict, out var canonical, out var error))
        {
            throw new ArgumentException($"The message cannot be signed: {McpsJson.FromCanonicalError(error)}.", nameof(message));
        }

        options ??= McpsSignOptions.Default;
        if (options.Audience is null && options.ReplyTo is null && options.EmbeddedPassport is null && options.Passport is null && TrySignCanonical(canonical, options, out var fast))
        {
            return fast;
        }

        if (JsonNode.Parse(canonical) is not JsonObject parsed)
        {
            throw new ArgumentException("The message is not a JSON object.", nameof(message));
        }

        SignCore(parsed, canonical, options);
        return McpsJson.Serialize(parsed);
    }

    /// <summary>Signs a message object in place and returns it.</summary>
    /// <exception cref="ArgumentException">The object is not a JSON-RPC message, or is already signed.</exception>
    /// <exception cref="CanonicalJsonException">The message holds something JCS cannot represent.</exception>
    public JsonObject Sign(JsonObject message, McpsSignOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        SignCore(message, null, options);
        return message;
    }

    /// <summary>
    /// Signs a message object in place and returns the <c>message_hash</c> it signed: the hash a verifier reports for it
    /// and an answer's <c>io.agenttrust/reply-to</c> must name (no second canonicalisation of the signed message).
    /// </summary>
    /// <exception cref="ArgumentException">The object is not a JSON-RPC message, or is already signed.</exception>
    /// <exception cref="CanonicalJsonException">The message holds something JCS cannot represent.</exception>
    public string SignAndHash(JsonObject message, McpsSignOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        return SignCore(message, null, options);
    }

    /// <param name="message">The message; modified in place.</param>
    /// <param name="canonical">The RFC 8785 bytes of <paramref name="message"/> as given, when the caller has them.</param>
    /// <param name="options">The options.</param>
    /// <returns>The message hash that was signed.</returns>
    private string SignCore(JsonObject message, byte[]? canonical, McpsSignOptions? options)
    {
        options ??= McpsSignOptions.Default;
        if (options.EmbeddedPassport is not null && options.Passport is not null)
        {
            throw new ArgumentException("Set EmbeddedPassport or Passport, not both.", nameof(options));
        }

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
        var modified = false;
        KnownCanonical? known = null;
        JsonObject? parent = null;
        if (placement == EnvelopePlacement.Meta)
        {
            parent = EnsureMetaParent(message, kind, ref modified);
            if (parent is null)
            {
                placement = EnvelopePlacement.TopLevel;
            }
            else
            {
                var members = new List<KeyValuePair<string, JsonNode?>>();
                if (options.Audience is not null && kind == JsonRpcMessageKind.Request)
                {
                    members.Add(new(McpsEnvelopeConstants.AudienceMetaKey, options.Audience));
                }

                if (options.ReplyTo is not null && kind is JsonRpcMessageKind.Result or JsonRpcMessageKind.Error)
                {
                    members.Add(new(McpsEnvelopeConstants.ReplyToMetaKey, options.ReplyTo));
                }

                if (options.EmbeddedPassport is not null)
                {
                    members.Add(new(McpsEnvelopeConstants.PassportMetaKey, options.EmbeddedPassport.DeepClone()));
                }
                else if (options.Passport is not null)
                {
                    known = PreparedPassport(options.Passport);
                    members.Add(new(McpsEnvelopeConstants.PassportMetaKey, known.Node));
                }

                if (members.Count > 0)
                {
                    var meta = MetaOf(parent);
                    foreach (var (key, value) in members)
                    {
                        meta[key] = value;
                    }

                    modified = true;
                }
            }
        }

        canonical = !modified && canonical is not null ? canonical
            : known is not null ? JsonCanonicalizer.Canonicalize(message, CanonicalJsonOptions.Strict, known)
            : McpsJson.Canonicalize(message, CanonicalJsonOptions.Strict);
        var messageHash = McpsPreimage.MessageHashOfCanonicalMessage(canonical, placement, kind);
        var nonce = McpsIdentifiers.NewNonce();
        var timestamp = McpsTimestamp.Format(_time.GetUtcNow());
        var signingInput = McpsPreimage.SigningInput(messageHash, nonce, PassportId, timestamp, options.ChannelBinding);
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
            MetaOf(parent!)[McpsEnvelopeConstants.MetaKey] = container;
        }

        return messageHash;
    }

    /// <summary>
    /// The fast path for the common case (parent object present, nothing added to <c>_meta</c>): the container is
    /// inserted into the canonical text directly (at the front of its object), so the message is parsed only once.
    /// Returns false when the slow path must decide (unusual shapes, errors to report).
    /// </summary>
    private bool TrySignCanonical(byte[] canonical, McpsSignOptions options, out byte[] signed)
    {
        signed = [];
        Span<CanonicalSplice.MemberInfo> top = stackalloc CanonicalSplice.MemberInfo[6];
        // Members are sorted (error < id < mcps < method < params < result): with method seen, nothing after params
        // matters, so the scan stops at params without reading it; otherwise it is read to the end.
        if (!CanonicalSplice.ScanObject(canonical, 0, ["mcps", "method", "id", "result", "error", "params"], top, stopAt: 5) || top[0].Found)
        {
            return false;
        }

        if (top[5].Found && !top[1].Found)
        {
            CanonicalSplice.ScanObject(canonical, 0, ["mcps", "method", "id", "result", "error", "params"], top);
        }

        var kind = top[1].Found
            ? (top[2].Found ? JsonRpcMessageKind.Request : JsonRpcMessageKind.Notification)
            : top[3].Found ? JsonRpcMessageKind.Result : top[4].Found ? JsonRpcMessageKind.Error : JsonRpcMessageKind.Unknown;
        var parent = kind switch
        {
            JsonRpcMessageKind.Request or JsonRpcMessageKind.Notification => top[5],
            JsonRpcMessageKind.Result => top[3],
            _ => default,
        };
        if (kind == JsonRpcMessageKind.Error && top[4].Type == JsonTokenType.StartObject)
        {
            Span<CanonicalSplice.MemberInfo> data = stackalloc CanonicalSplice.MemberInfo[1];
            CanonicalSplice.ScanObject(canonical, top[4].ValueStart, ["data"], data);
            parent = data[0];
        }

        if (kind == JsonRpcMessageKind.Unknown)
        {
            return false;
        }

        int insertAt;
        string prefix;
        string suffix;
        if (options.Placement == EnvelopePlacement.TopLevel)
        {
            insertAt = 1;
            prefix = "\"mcps\":";
            suffix = canonical.Length > 2 ? "," : "";
        }
        else
        {
            if (!parent.Found || parent.Type != JsonTokenType.StartObject)
            {
                return false;
            }

            Span<CanonicalSplice.MemberInfo> meta = stackalloc CanonicalSplice.MemberInfo[1];
            CanonicalSplice.ScanObject(canonical, parent.ValueStart, [McpsEnvelopeConstants.Meta], meta);
            if (meta[0].Found)
            {
                Span<CanonicalSplice.MemberInfo> existing = stackalloc CanonicalSplice.MemberInfo[1];
                if (meta[0].Type != JsonTokenType.StartObject
                    || !CanonicalSplice.ScanObject(canonical, meta[0].ValueStart, [McpsEnvelopeConstants.MetaKey], existing) || existing[0].Found)
                {
                    return false;
                }

                insertAt = meta[0].ValueStart + 1;
                prefix = "\"" + McpsEnvelopeConstants.MetaKey + "\":";
                suffix = meta[0].ValueEnd - meta[0].ValueStart > 2 ? "," : "";
            }
            else
            {
                insertAt = parent.ValueStart + 1;
                prefix = "\"_meta\":{\"" + McpsEnvelopeConstants.MetaKey + "\":";
                suffix = canonical[parent.ValueStart + 1] != (byte)'}' ? "}," : "}";
            }
        }

        var messageHash = McpsPreimage.MessageHashOfCanonicalMessage(canonical, options.Placement, kind);
        var nonce = McpsIdentifiers.NewNonce();
        var timestamp = McpsTimestamp.Format(_time.GetUtcNow());
        var signingInput = McpsPreimage.SigningInput(messageHash, nonce, PassportId, timestamp, options.ChannelBinding);
        var container = prefix + "{\"version\":\"" + McpsEnvelopeConstants.Version + "\",\"passport_id\":\"" + PassportId + "\",\"nonce\":\"" + nonce
            + "\",\"timestamp\":\"" + timestamp + "\",\"signature\":\"" + StrictBase64.Encode(_key.Sign(signingInput)) + "\"}" + suffix;
        var insert = System.Text.Encoding.UTF8.GetBytes(container);
        signed = new byte[canonical.Length + insert.Length];
        canonical.AsSpan(0, insertAt).CopyTo(signed);
        insert.CopyTo(signed, insertAt);
        canonical.AsSpan(insertAt).CopyTo(signed.AsSpan(insertAt + insert.Length));
        return true;
    }

    /// <summary>
    /// A fresh node of <paramref name="passport"/>'s JSON for one message, with its canonical bytes: the JSON and the
    /// canonical form are computed once per passport (it is immutable) and kept for the next message; the node is
    /// parsed from that JSON for each message (it becomes part of the message).
    /// </summary>
    private KnownCanonical PreparedPassport(AgentPassport passport)
    {
        // Signers are shared by concurrent stages: a form is immutable and names its passport, so a thread that reads
        // another thread's form either finds its own passport in it or makes its own; it never pairs one passport's
        // bytes with another.
        var prepared = Volatile.Read(ref _passport);
        if (prepared is null || !ReferenceEquals(prepared.Passport, passport))
        {
            var json = McpsJson.Serialize(passport.ToJsonObject());
            prepared = new PassportForm(passport, json, KnownCanonical.Of(ParseObject(json), CanonicalJsonOptions.Strict));
            Volatile.Write(ref _passport, prepared);
        }

        return prepared.ForMessage(ParseObject(prepared.Json));
    }

    private static JsonObject ParseObject(byte[] json) =>
        (JsonObject)JsonNode.Parse(json, null, new JsonDocumentOptions { MaxDepth = 1000 })!;

    // One passport's JSON (as ToJsonObject serialises) and the canonical form of a node parsed from it.
    private sealed class PassportForm(AgentPassport passport, byte[] json, KnownCanonical canonical)
    {
        public AgentPassport Passport { get; } = passport;

        public byte[] Json { get; } = json;

        public KnownCanonical ForMessage(JsonObject node) => canonical.For(node);
    }

    private static JsonObject MetaOf(JsonObject parent)
    {
        if (parent[McpsEnvelopeConstants.Meta] is JsonObject meta)
        {
            return meta;
        }

        meta = [];
        parent[McpsEnvelopeConstants.Meta] = meta;
        return meta;
    }

    /// <summary>Creates the P2 parent where the rules allow it; null when the message can only carry P1.</summary>
    private static JsonObject? EnsureMetaParent(JsonObject message, JsonRpcMessageKind kind, ref bool modified)
    {
        switch (kind)
        {
            case JsonRpcMessageKind.Request or JsonRpcMessageKind.Notification:
                if (!message.TryGetPropertyValue("params", out var p))
                {
                    var created = new JsonObject();
                    message["params"] = created;
                    modified = true;
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
                    modified = true;
                    return created;
                }

                return data as JsonObject;
            default:
                return null;
        }
    }
}
