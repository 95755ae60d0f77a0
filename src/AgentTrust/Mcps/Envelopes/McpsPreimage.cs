using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using AgentTrust.Json;

namespace AgentTrust.Mcps.Envelopes;

/// <summary>
/// The signing preimage of an MCPS message, "layout A" (mcps.md §5). This is the ONE place that builds the body,
/// the <c>message_hash</c> and the signed payload: the signer and the verifier both call it.
/// </summary>
public static class McpsPreimage
{
    /// <summary>
    /// The RFC 8785 bytes of the message body: the message without its container (P1: the top-level <c>mcps</c>;
    /// P2: <c>_meta["io.agenttrust/mcps"]</c> of the kind's parent, and that <c>_meta</c> when it becomes empty).
    /// Nothing else is removed.
    /// </summary>
    /// <param name="message">The message as it appears on the wire.</param>
    /// <param name="placement">The placement whose container is removed.</param>
    /// <param name="options">The canonicalisation profile (verifiers use <see cref="CanonicalJsonOptions.Strict"/>).</param>
    /// <exception cref="CanonicalJsonException">The message holds something JCS cannot represent.</exception>
    public static byte[] CanonicalBody(JsonObject message, EnvelopePlacement placement, CanonicalJsonOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        var canonical = McpsJson.Canonicalize(message, options ?? CanonicalJsonOptions.Strict);
        return BodyFromCanonicalMessage(canonical, placement, JsonRpcMessageKinds.Classify(message));
    }

    /// <summary>
    /// The body from the RFC 8785 bytes of the whole message (the ONE body function: <see cref="McpsMessageSigner"/>
    /// and <see cref="McpsMessageVerifier"/> both end here, through <see cref="MessageHashOfCanonicalMessage"/>).
    /// Removing members from canonical text keeps it canonical.
    /// </summary>
    internal static byte[] BodyFromCanonicalMessage(byte[] canonicalMessage, EnvelopePlacement placement, JsonRpcMessageKind kind)
    {
        var (start, end) = BodyCut(canonicalMessage, placement, kind);
        if (start == end)
        {
            return canonicalMessage;
        }

        var body = new byte[canonicalMessage.Length - (end - start)];
        Cut(canonicalMessage, start, end, body);
        return body;
    }

    /// <summary>
    /// The <c>message_hash</c> of <see cref="BodyFromCanonicalMessage"/>'s body (the same cut), without keeping the body:
    /// it is assembled in a pooled buffer only to be hashed.
    /// </summary>
    internal static string MessageHashOfCanonicalMessage(byte[] canonicalMessage, EnvelopePlacement placement, JsonRpcMessageKind kind)
    {
        var (start, end) = BodyCut(canonicalMessage, placement, kind);
        if (start == end)
        {
            return MessageHash(canonicalMessage);
        }

        var length = canonicalMessage.Length - (end - start);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            Cut(canonicalMessage, start, end, buffer);
            return MessageHash(buffer.AsSpan(0, length));
        }
        finally
        {
            // Cleared: the body (tool arguments) must not linger in a pool shared by the whole process.
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }

    private static void Cut(byte[] canonicalMessage, int start, int end, byte[] destination)
    {
        canonicalMessage.AsSpan(0, start).CopyTo(destination);
        canonicalMessage.AsSpan(end).CopyTo(destination.AsSpan(start));
    }

    // The byte range the body leaves out of the canonical message (its separating comma included); empty when nothing is removed.
    private static (int Start, int End) BodyCut(byte[] canonicalMessage, EnvelopePlacement placement, JsonRpcMessageKind kind)
    {
        if (placement == EnvelopePlacement.TopLevel)
        {
            return CanonicalSplice.TryFindMember(canonicalMessage, [McpsEnvelopeConstants.TopLevelMember], out var memberStart, out var memberEnd)
                ? CanonicalSplice.WithSeparator(canonicalMessage, memberStart, memberEnd)
                : default;
        }

        ReadOnlySpan<string> meta = kind switch
        {
            JsonRpcMessageKind.Request or JsonRpcMessageKind.Notification => ["params", McpsEnvelopeConstants.Meta],
            JsonRpcMessageKind.Result => ["result", McpsEnvelopeConstants.Meta],
            JsonRpcMessageKind.Error => ["error", "data", McpsEnvelopeConstants.Meta],
            _ => [],
        };
        if (meta.IsEmpty)
        {
            return default;
        }

        // One walk to _meta, then over _meta's members up to the container: remove the container, and _meta itself when
        // it is (or becomes) {}. Only an object _meta holds a container.
        if (!CanonicalSplice.TryFindMemberStart(canonicalMessage, meta, out var metaStart, out var metaValueStart)
            || canonicalMessage[metaValueStart] != (byte)'{')
        {
            return default;
        }

        if (canonicalMessage[metaValueStart + 1] == (byte)'}')
        {
            return CanonicalSplice.WithSeparator(canonicalMessage, metaStart, metaValueStart + 2);
        }

        if (!CanonicalSplice.TryFindMember(canonicalMessage.AsSpan(metaValueStart), [McpsEnvelopeConstants.MetaKey], out var start, out var end))
        {
            return default;
        }

        // The container is the only member (right after the opening brace, right before the closing one): removing it
        // would leave {}, which goes too.
        return start == 1 && canonicalMessage[metaValueStart + end] == (byte)'}'
            ? CanonicalSplice.WithSeparator(canonicalMessage, metaStart, metaValueStart + end + 1)
            : CanonicalSplice.WithSeparator(canonicalMessage, metaValueStart + start, metaValueStart + end);
    }

    /// <summary>Lowercase hex SHA-256 of the canonical body (64 characters).</summary>
    public static string MessageHash(ReadOnlySpan<byte> canonicalBody) => McpsJson.Sha256Hex(canonicalBody);

    /// <summary>
    /// The signed bytes: <c>UTF-8(JCS({"channel_binding"?, "message_hash", "nonce", "passport_id", "timestamp"}))</c>.
    /// The strings are written with RFC 8785 string escaping so no second canonicalisation pass is needed.
    /// </summary>
    public static byte[] SigningInput(string messageHash, string nonce, string passportId, string timestamp, string? channelBinding)
    {
        ArgumentNullException.ThrowIfNull(messageHash);
        ArgumentNullException.ThrowIfNull(nonce);
        ArgumentNullException.ThrowIfNull(passportId);
        ArgumentNullException.ThrowIfNull(timestamp);
        if (IsPlain(messageHash) && IsPlain(nonce) && IsPlain(passportId) && IsPlain(timestamp) && (channelBinding is null || IsPlain(channelBinding)))
        {
            // Nothing to escape (the usual case: hex, ids, timestamps): the same bytes written directly.
            return PlainSigningInput(messageHash, nonce, passportId, timestamp, channelBinding);
        }

        var payload = new StringBuilder(256).Append('{');
        if (channelBinding is not null)
        {
            AppendMember(payload, "channel_binding", channelBinding).Append(',');
        }

        AppendMember(payload, "message_hash", messageHash).Append(',');
        AppendMember(payload, "nonce", nonce).Append(',');
        AppendMember(payload, "passport_id", passportId).Append(',');
        AppendMember(payload, "timestamp", timestamp).Append('}');
        return System.Text.Encoding.UTF8.GetBytes(payload.ToString());
    }

    // Printable ASCII without a quote or backslash: written as is by AppendString.
    private static bool IsPlain(string value) =>
        !value.AsSpan().ContainsAnyExceptInRange((char)0x20, (char)0x7e) && value.AsSpan().IndexOfAny('"', '\\') < 0;

    private static byte[] PlainSigningInput(string messageHash, string nonce, string passportId, string timestamp, string? channelBinding)
    {
        ReadOnlySpan<byte> bindingName = "{\"channel_binding\":\""u8;
        ReadOnlySpan<byte> hashName = "\"message_hash\":\""u8;
        ReadOnlySpan<byte> nonceName = "\",\"nonce\":\""u8;
        ReadOnlySpan<byte> idName = "\",\"passport_id\":\""u8;
        ReadOnlySpan<byte> timestampName = "\",\"timestamp\":\""u8;
        var length = 1 + hashName.Length + messageHash.Length + nonceName.Length + nonce.Length + idName.Length + passportId.Length
            + timestampName.Length + timestamp.Length + 2 + (channelBinding is null ? 0 : bindingName.Length - 1 + channelBinding.Length + 2);
        var payload = new byte[length];
        var written = 0;
        void Put(ReadOnlySpan<byte> bytes, byte[] target)
        {
            bytes.CopyTo(target.AsSpan(written));
            written += bytes.Length;
        }

        void PutAscii(string text, byte[] target) => written += System.Text.Encoding.ASCII.GetBytes(text, target.AsSpan(written));

        if (channelBinding is not null)
        {
            Put(bindingName, payload);
            PutAscii(channelBinding, payload);
            Put("\","u8, payload);
        }
        else
        {
            Put("{"u8, payload);
        }

        Put(hashName, payload);
        PutAscii(messageHash, payload);
        Put(nonceName, payload);
        PutAscii(nonce, payload);
        Put(idName, payload);
        PutAscii(passportId, payload);
        Put(timestampName, payload);
        PutAscii(timestamp, payload);
        Put("\"}"u8, payload);
        return written == payload.Length ? payload : throw new InvalidOperationException("signing input length");
    }

    private static StringBuilder AppendMember(StringBuilder builder, string name, string value)
    {
        AppendString(builder, name).Append(':');
        return AppendString(builder, value);
    }

    /// <summary>Writes a JSON string with RFC 8785 escaping (mcps.md §2). Lone surrogates are refused.</summary>
    internal static StringBuilder AppendString(StringBuilder builder, string value)
    {
        builder.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\b': builder.Append("\\b"); break;
                case '\t': builder.Append("\\t"); break;
                case '\n': builder.Append("\\n"); break;
                case '\f': builder.Append("\\f"); break;
                case '\r': builder.Append("\\r"); break;
                default:
                    if (c < 0x20)
                    {
                        builder.Append("\\u00").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                    {
                        builder.Append(c).Append(value[++i]);
                    }
                    else if (char.IsSurrogate(c))
                    {
                        throw new CanonicalJsonException(new CanonicalJsonError(Errors.McpsCode.NonCanonicalInput, McpsReasons.LoneSurrogate, "lone surrogate in a signed string"));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        return builder.Append('"');
    }
}
