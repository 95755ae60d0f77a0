using System.Text.Json;

namespace AgentTrust.Mcps.Envelopes;

/// <summary>
/// Removes members from RFC 8785 text without re-canonicalising: removing a member from a sorted, whitespace-free
/// object leaves it sorted and whitespace-free, so the result is exactly the JCS form of the smaller value.
/// </summary>
internal static class CanonicalSplice
{
    /// <summary>
    /// The byte range of the member at <paramref name="path"/> (object member names from the root), from its name's
    /// opening quote to the end of its value; false when any step is missing or not an object.
    /// </summary>
    public static bool TryFindMember(ReadOnlySpan<byte> canonical, ReadOnlySpan<string> path, out int start, out int end) =>
        TryFind(canonical, path, out start, out _, out end, out _);

    /// <summary>The value at <paramref name="path"/>: its start and end offsets and its token type (the root for an empty path).</summary>
    public static bool TryFindValue(ReadOnlySpan<byte> canonical, ReadOnlySpan<string> path, out int valueStart, out int end, out JsonTokenType type)
    {
        if (path.IsEmpty)
        {
            var root = new Utf8JsonReader(canonical);
            valueStart = 0;
            end = canonical.Length;
            type = root.Read() ? root.TokenType : JsonTokenType.None;
            return type != JsonTokenType.None;
        }

        return TryFind(canonical, path, out _, out valueStart, out end, out type);
    }

    private static bool TryFind(ReadOnlySpan<byte> canonical, ReadOnlySpan<string> path, out int start, out int valueStart, out int end, out JsonTokenType type)
    {
        start = end = valueStart = 0;
        type = JsonTokenType.None;
        var reader = new Utf8JsonReader(canonical, new JsonReaderOptions { MaxDepth = 1024 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        for (var level = 0; level < path.Length; level++)
        {
            var found = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var nameStart = (int)reader.TokenStartIndex;
                if (reader.ValueTextEquals(path[level]))
                {
                    if (!reader.Read())
                    {
                        return false;
                    }

                    if (level == path.Length - 1)
                    {
                        valueStart = (int)reader.TokenStartIndex;
                        type = reader.TokenType;
                        reader.Skip();
                        start = nameStart;
                        end = (int)reader.BytesConsumed;
                        return true;
                    }

                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        return false;
                    }

                    found = true;
                    break;
                }

                if (IsPast(ref reader, path[level]))
                {
                    return false;
                }

                reader.Read();
                reader.Skip();
            }

            if (!found)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>Removes the member at <paramref name="path"/> (with its separating comma); the input when absent.</summary>
    public static byte[] RemoveMember(byte[] canonical, ReadOnlySpan<string> path)
    {
        return TryFindMember(canonical, path, out var start, out var end) ? RemoveRange(canonical, start, end) : canonical;
    }

    /// <summary>Removes the member spanning [<paramref name="start"/>, <paramref name="end"/>) with its separating comma.</summary>
    public static byte[] RemoveRange(byte[] canonical, int start, int end)
    {
        if (end < canonical.Length && canonical[end] == (byte)',')
        {
            end++;
        }
        else if (start > 0 && canonical[start - 1] == (byte)',')
        {
            start--;
        }

        var result = new byte[canonical.Length - (end - start)];
        canonical.AsSpan(0, start).CopyTo(result);
        canonical.AsSpan(end).CopyTo(result.AsSpan(start));
        return result;
    }

    /// <summary>Removes the member at <paramref name="path"/> when its value is the empty object <c>{}</c>.</summary>
    public static byte[] RemoveIfEmptyObject(byte[] canonical, ReadOnlySpan<string> path)
    {
        if (!TryFindMember(canonical, path, out var start, out var end) || end - start < 2
            || canonical[end - 1] != (byte)'}' || canonical[end - 2] != (byte)'{' || canonical[end - 3] != (byte)':')
        {
            return canonical;
        }

        return RemoveMember(canonical, path);
    }

    /// <summary>One found member of <see cref="ScanObject"/>: offsets are absolute in the scanned text.</summary>
    internal readonly record struct MemberInfo(bool Found, int ValueStart, int ValueEnd, JsonTokenType Type);

    /// <summary>
    /// One pass over the members of the object that starts at <paramref name="objectStart"/>, recording where each of
    /// <paramref name="names"/> is. False when no object starts there.
    /// </summary>
    /// <param name="canonical">Canonical text.</param>
    /// <param name="objectStart">Where the object starts.</param>
    /// <param name="names">The member names looked for (ASCII).</param>
    /// <param name="found">One entry per name.</param>
    /// <param name="stopAt">When that name's member is found, the scan stops there and its <c>ValueEnd</c> is -1 (not read).</param>
    public static bool ScanObject(ReadOnlySpan<byte> canonical, int objectStart, ReadOnlySpan<string> names, Span<MemberInfo> found, int stopAt = -1)
    {
        found.Clear();
        var reader = new Utf8JsonReader(canonical[objectStart..], new JsonReaderOptions { MaxDepth = 1024 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var index = -1;
            for (var i = 0; i < names.Length; i++)
            {
                if (reader.ValueTextEquals(names[i]))
                {
                    index = i;
                    break;
                }
            }

            if (index < 0 && IsPastAll(ref reader, names))
            {
                break;
            }

            reader.Read();
            var start = (int)reader.TokenStartIndex;
            var type = reader.TokenType;
            if (index >= 0 && index == stopAt)
            {
                found[index] = new MemberInfo(true, objectStart + start, -1, type);
                break;
            }

            reader.Skip();
            if (index >= 0)
            {
                found[index] = new MemberInfo(true, objectStart + start, objectStart + (int)reader.BytesConsumed, type);
            }
        }

        return true;
    }

    /// <summary>
    /// The string values of <paramref name="names"/> in the object that starts at <paramref name="objectStart"/>
    /// (null where absent or not a JSON string). False when no object starts there.
    /// </summary>
    public static bool ReadStringMembers(ReadOnlySpan<byte> canonical, int objectStart, ReadOnlySpan<string> names, Span<string?> values)
    {
        values.Clear();
        var reader = new Utf8JsonReader(canonical[objectStart..], new JsonReaderOptions { MaxDepth = 1024 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        // Canonical text has no duplicate members: once every name was seen, the rest of the object cannot matter.
        var seen = 0;
        while (seen < names.Length && reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var index = -1;
            for (var i = 0; i < names.Length; i++)
            {
                if (reader.ValueTextEquals(names[i]))
                {
                    index = i;
                    break;
                }
            }

            reader.Read();
            if (index >= 0)
            {
                seen++;
            }

            if (index >= 0 && reader.TokenType == JsonTokenType.String)
            {
                values[index] = reader.GetString();
            }
            else
            {
                reader.Skip();
            }
        }

        return true;
    }

    /// <summary>
    /// True when the current (unescaped) member name sorts after <paramref name="name"/>: canonical members are in
    /// UTF-16 order, so the name cannot come later. For an ASCII <paramref name="name"/>, UTF-8 byte order gives the
    /// same answer; an escaped name is not compared (the scan simply goes on).
    /// </summary>
    private static bool IsPast(ref Utf8JsonReader reader, string name)
    {
        if (reader.ValueIsEscaped || reader.HasValueSequence)
        {
            return false;
        }

        var key = reader.ValueSpan;
        var common = Math.Min(key.Length, name.Length);
        for (var i = 0; i < common; i++)
        {
            if (key[i] != name[i])
            {
                return key[i] > name[i];
            }
        }

        return key.Length > name.Length;
    }

    private static bool IsPastAll(ref Utf8JsonReader reader, ReadOnlySpan<string> names)
    {
        foreach (var name in names)
        {
            if (!IsPast(ref reader, name))
            {
                return false;
            }
        }

        return true;
    }
}
