using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace AgentTrust.Json.Canonical;

/// <summary>
/// Canonicalises in-memory <see cref="JsonNode"/> trees. Values backed by JSON text (a <see cref="JsonElement"/>)
/// go through the byte canonicaliser, so their number literals follow the profile; CLR values are formatted like
/// ECMAScript: doubles must be finite, integers and decimals are treated as the literal .NET writes for them.
/// </summary>
internal static class JcsNodeWriter
{
    public static void Write(PooledBufferWriter buffer, JsonNode? node, CanonicalJsonOptions options)
    {
        var output = new JcsOutput(buffer);
        WriteNode(ref output, buffer, node, options, 0, null);
        output.Flush();
    }

    /// <summary>
    /// As <see cref="Write(PooledBufferWriter, JsonNode?, CanonicalJsonOptions)"/>, but where the walk reaches
    /// <paramref name="known"/>'s node (by reference) its canonical bytes are written instead of walking it again; the
    /// depth bound still applies to the containers inside it.
    /// </summary>
    public static void Write(PooledBufferWriter buffer, JsonNode? node, CanonicalJsonOptions options, KnownCanonical known)
    {
        var output = new JcsOutput(buffer);
        WriteNode(ref output, buffer, node, options, 0, known);
        output.Flush();
    }

    private static void WriteNode(ref JcsOutput output, PooledBufferWriter buffer, JsonNode? node, CanonicalJsonOptions options, int depth, KnownCanonical? known)
    {
        if (known is not null && node is not null && ReferenceEquals(node, known.Node))
        {
            // The walk would enter containers down to depth + NestedDepth (none when it is negative: a scalar).
            if (known.NestedDepth >= 0)
            {
                EnterContainer(depth + known.NestedDepth, options);
            }

            output.Write(known.Canonical);
            return;
        }

        switch (node)
        {
            case null:
                output.Write("null"u8);
                return;
            case JsonObject obj:
                {
                    EnterContainer(depth, options);
                    var memberCount = MemberCount(obj);
                    var members = ArrayPool<KeyValuePair<string, JsonNode?>>.Shared.Rent(Math.Max(memberCount, 1));
                    try
                    {
                        var count = 0;
                        foreach (var member in obj)
                        {
                            members[count++] = member;
                        }

                        var span = members.AsSpan(0, count);
                        span.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
                        output.WriteByte((byte)'{');
                        for (var i = 0; i < span.Length; i++)
                        {
                            if (i > 0)
                            {
                                output.WriteByte((byte)',');
                            }

                            WriteString(ref output, span[i].Key);
                            output.WriteByte((byte)':');
                            WriteNode(ref output, buffer, span[i].Value, options, depth + 1, known);
                        }

                        output.WriteByte((byte)'}');
                    }
                    finally
                    {
                        ArrayPool<KeyValuePair<string, JsonNode?>>.Shared.Return(members, clearArray: true);
                    }

                    return;
                }

            case JsonArray array:
                EnterContainer(depth, options);
                output.WriteByte((byte)'[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        output.WriteByte((byte)',');
                    }

                    WriteNode(ref output, buffer, array[i], options, depth + 1, known);
                }

                output.WriteByte((byte)']');
                return;
            case JsonValue value:
                WriteValue(ref output, buffer, value, options, depth);
                return;
            default:
                throw new CanonicalJsonException(JcsErrors.Create(JcsErrors.InvalidJson, $"unsupported node type {node.GetType().Name}"));
        }
    }

    /// <summary>
    /// The member count; a <see cref="JsonObject"/> parsed from text builds its dictionary here and throws
    /// <see cref="ArgumentException"/> when the text held a duplicate member name.
    /// </summary>
    private static int MemberCount(JsonObject obj)
    {
        try
        {
            return obj.Count;
        }
        catch (ArgumentException)
        {
            throw new CanonicalJsonException(JcsErrors.Create(JcsErrors.DuplicateMember, "duplicate member name"));
        }
    }

    private static void EnterContainer(int depth, CanonicalJsonOptions options)
    {
        if (depth >= options.MaxDepth)
        {
            throw new CanonicalJsonException(JcsErrors.Create(JcsErrors.TooDeep, $"nesting exceeds the limit of {options.MaxDepth}"));
        }

        RuntimeHelpers.EnsureSufficientExecutionStack();
    }

    private static void WriteValue(ref JcsOutput output, PooledBufferWriter buffer, JsonValue value, CanonicalJsonOptions options, int depth)
    {
        if (value.TryGetValue<JsonElement>(out var element))
        {
            WriteElementValue(ref output, buffer, element, options, depth);
            return;
        }

        if (value.TryGetValue<string>(out var text))
        {
            WriteString(ref output, text);
            return;
        }

        if (value.TryGetValue<bool>(out var flag))
        {
            output.Write(flag ? "true"u8 : "false"u8);
            return;
        }

        if (value.TryGetValue<double>(out var number))
        {
            WriteDouble(ref output, number);
            return;
        }

        if (value.TryGetValue<float>(out var single))
        {
            WriteDouble(ref output, single);
            return;
        }

        Span<byte> literal = stackalloc byte[64];
        int length;
        if (value.TryGetValue<long>(out var int64))
        {
            int64.TryFormat(literal, out length, default, CultureInfo.InvariantCulture);
        }
        else if (value.TryGetValue<ulong>(out var uint64))
        {
            uint64.TryFormat(literal, out length, default, CultureInfo.InvariantCulture);
        }
        else if (value.TryGetValue<int>(out var int32))
        {
            int32.TryFormat(literal, out length, default, CultureInfo.InvariantCulture);
        }
        else if (value.TryGetValue<uint>(out var uint32))
        {
            uint32.TryFormat(literal, out length, default, CultureInfo.InvariantCulture);
        }
        else if (value.TryGetValue<short>(out var int16))
        {
            int16.TryFormat(literal, out length, default, CultureInfo.InvariantCulture);
        }
        else if (value.TryGetValue<ushort>(out var uint16))
        {
            uint16.TryFormat(literal, out length, default, CultureInfo.InvariantCulture);
        }
        else if (value.TryGetValue<byte>(out var uint8))
        {
            uint8.TryFormat(literal, out length, default, CultureInfo.InvariantCulture);
        }
        else if (value.TryGetValue<sbyte>(out var int8))
        {
            int8.TryFormat(literal, out length, default, CultureInfo.InvariantCulture);
        }
        else if (value.TryGetValue<decimal>(out var dec))
        {
            dec.TryFormat(literal, out length, default, CultureInfo.InvariantCulture);
        }
        else
        {
            // Anything else (dates, GUIDs, enums, chars, …): the JSON text System.Text.Json writes for it.
            using var fragment = new PooledBufferWriter(256);
            using (var writer = new Utf8JsonWriter(fragment))
            {
                value.WriteTo(writer);
            }

            WriteText(ref output, buffer, fragment.WrittenSpan, options, depth);
            return;
        }

        WriteLiteral(ref output, literal[..length], options);
    }

    /// <summary>
    /// A scalar parsed from JSON text: literals and numbers directly, strings without escapes as they are (after a UTF-8
    /// check); anything else (escaped strings, whose surrogate escapes need checking) through the byte canonicaliser.
    /// </summary>
    private static void WriteElementValue(ref JcsOutput output, PooledBufferWriter buffer, JsonElement element, CanonicalJsonOptions options, int depth)
    {
        var raw = JsonMarshal.GetRawUtf8Value(element);
        switch (element.ValueKind)
        {
            case JsonValueKind.True:
                output.Write("true"u8);
                return;
            case JsonValueKind.False:
                output.Write("false"u8);
                return;
            case JsonValueKind.Null:
                output.Write("null"u8);
                return;
            case JsonValueKind.Number:
                WriteLiteral(ref output, raw, options);
                return;
            case JsonValueKind.String when raw.IndexOf((byte)'\\') < 0 && Utf8.IsValid(raw):
                output.Write(raw);
                return;
            default:
                WriteText(ref output, buffer, raw, options, depth);
                return;
        }
    }

    /// <summary>An integer or decimal written by .NET, treated as the number literal it is on the wire.</summary>
    private static void WriteLiteral(ref JcsOutput output, scoped ReadOnlySpan<byte> literal, CanonicalJsonOptions options)
    {
        var end = JcsNumbers.Scan(literal, 0, out var isInteger, out var integerDigits, out _);
        if (end != literal.Length)
        {
            throw new CanonicalJsonException(JcsErrors.Create(JcsErrors.InvalidJson, "not a JSON number"));
        }

        var rejection = JcsNumbers.Check(literal, isInteger, integerDigits, options.Numbers, out var verbatim, out var number);
        if (rejection is not null)
        {
            throw new CanonicalJsonException(JcsErrors.Create(JcsErrors.UnsafeNumber, rejection));
        }

        JcsNumbers.Write(ref output, literal, verbatim, number);
    }

    private static void WriteDouble(ref JcsOutput output, double number)
    {
        if (!double.IsFinite(number))
        {
            throw new CanonicalJsonException(JcsErrors.Create(JcsErrors.NonFiniteNumber, "NaN and infinities have no JSON form"));
        }

        var span = output.GetSpan(EcmaScriptNumberFormatter.MaxLength);
        output.Advance(EcmaScriptNumberFormatter.Format(number, span));
    }

    /// <summary>JSON text embedded in the tree: canonicalised by the byte canonicaliser with the depth that is left.</summary>
    private static void WriteText(ref JcsOutput output, PooledBufferWriter buffer, ReadOnlySpan<byte> json, CanonicalJsonOptions options, int depth)
    {
        output.Flush();
        var remaining = options with { MaxDepth = options.MaxDepth - depth, MaxInputBytes = CanonicalJsonOptions.HardMaxInputBytes };
        if (!JsonCanonicalizer.Run(json, buffer, remaining, out var error))
        {
            throw new CanonicalJsonException(error! with { Offset = -1 });
        }
    }

    private static void WriteString(ref JcsOutput output, string text)
    {
        var rented = ArrayPool<byte>.Shared.Rent(Math.Max(text.Length * 3, 16));
        try
        {
            var status = Utf8.FromUtf16(text, rented, out _, out var written, replaceInvalidSequences: false);
            if (status != OperationStatus.Done)
            {
                throw new CanonicalJsonException(JcsErrors.Create(JcsErrors.LoneSurrogate, "string holds a lone surrogate"));
            }

            JcsStrings.WriteQuoted(ref output, rented.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
