using System.Buffers;
using System.Text;
using System.Text.Json;

namespace AgentTrust.Mcps.Envelopes;

/// <summary>
/// Finds members in RFC 8785 text, and the bytes their removal takes, without re-canonicalising: removing a member from a
/// sorted, whitespace-free object leaves it sorted and whitespace-free, so the result is exactly the JCS form of the
/// smaller value.
/// </summary>
/// <remarks>
/// The text is always canonical (the output of the canonicaliser, which validated it), so it is walked by its structure
/// alone: a value ends at its matching bracket or closing quote, found with vectorised searches, instead of being
/// tokenised and validated again. Member names are compared as they are written: in canonical text an ASCII name
/// without <c>"</c>, <c>\</c> or control characters (all the names looked up here) is never escaped.
/// Text that is not canonical JSON makes these methods throw <see cref="FormatException"/> (callers fail closed).
/// </remarks>
internal static class CanonicalSplice
{
    private static readonly SearchValues<byte> StringEnd = SearchValues.Create("\"\\"u8);
    private static readonly SearchValues<byte> ScalarEnd = SearchValues.Create(",}]"u8);

    /// <summary>
    /// The byte range of the member at <paramref name="path"/> (object member names from the root), from its name's
    /// opening quote to the end of its value; false when any step is missing or not an object.
    /// </summary>
    public static bool TryFindMember(ReadOnlySpan<byte> canonical, ReadOnlySpan<string> path, out int start, out int end) =>
        TryFind(canonical, path, skipValue: true, out start, out _, out end);

    /// <summary>
    /// As <see cref="TryFindMember"/>, but the value is not walked: where the member's name and value start
    /// (<paramref name="nameStart"/> is its opening quote).
    /// </summary>
    public static bool TryFindMemberStart(ReadOnlySpan<byte> canonical, ReadOnlySpan<string> path, out int nameStart, out int valueStart) =>
        TryFind(canonical, path, skipValue: false, out nameStart, out valueStart, out _);

    private static bool TryFind(ReadOnlySpan<byte> canonical, ReadOnlySpan<string> path, bool skipValue, out int start, out int valueStart, out int end)
    {
        start = end = valueStart = 0;
        if (canonical.IsEmpty || canonical[0] != (byte)'{' || path.IsEmpty)
        {
            return false;
        }

        var objectStart = 0;
        for (var level = 0; level < path.Length; level++)
        {
            var members = new MemberReader(canonical, objectStart);
            var found = false;
            while (members.NextName())
            {
                if (members.NameEquals(path[level]))
                {
                    found = true;
                    break;
                }

                if (members.NameIsPast(path[level]))
                {
                    return false;
                }
            }

            if (!found)
            {
                return false;
            }

            if (level == path.Length - 1)
            {
                start = members.NameStart;
                valueStart = members.ValueStart;
                if (skipValue)
                {
                    members.SkipValue();
                    end = members.ValueEnd;
                }

                return true;
            }

            if (canonical[members.ValueStart] != (byte)'{')
            {
                return false;
            }

            objectStart = members.ValueStart;
        }

        return false;
    }

    /// <summary>The member spanning [<paramref name="start"/>, <paramref name="end"/>) with its separating comma (the one after it, else the one before).</summary>
    public static (int Start, int End) WithSeparator(ReadOnlySpan<byte> canonical, int start, int end)
    {
        if (end < canonical.Length && canonical[end] == (byte)',')
        {
            end++;
        }
        else if (start > 0 && canonical[start - 1] == (byte)',')
        {
            start--;
        }

        return (start, end);
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
        if (objectStart >= canonical.Length || canonical[objectStart] != (byte)'{')
        {
            return false;
        }

        var members = new MemberReader(canonical, objectStart);
        while (members.NextName())
        {
            var index = -1;
            for (var i = 0; i < names.Length; i++)
            {
                if (members.NameEquals(names[i]))
                {
                    index = i;
                    break;
                }
            }

            if (index < 0 && members.NameIsPastAll(names))
            {
                break;
            }

            var type = TypeAt(canonical, members.ValueStart);
            if (index >= 0 && index == stopAt)
            {
                found[index] = new MemberInfo(true, members.ValueStart, -1, type);
                break;
            }

            members.SkipValue();
            if (index >= 0)
            {
                found[index] = new MemberInfo(true, members.ValueStart, members.ValueEnd, type);
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
        if (objectStart >= canonical.Length || canonical[objectStart] != (byte)'{')
        {
            return false;
        }

        // Canonical text has no duplicate members: once every name was seen, the rest of the object cannot matter.
        var seen = 0;
        var members = new MemberReader(canonical, objectStart);
        while (seen < names.Length && members.Next())
        {
            for (var i = 0; i < names.Length; i++)
            {
                if (members.NameEquals(names[i]))
                {
                    seen++;
                    if (canonical[members.ValueStart] == (byte)'"')
                    {
                        values[i] = ReadString(canonical[members.ValueStart..members.ValueEnd]);
                    }

                    break;
                }
            }
        }

        return true;
    }

    /// <summary>The end (exclusive) of the canonical value that starts at <paramref name="start"/>.</summary>
    internal static int SkipValue(ReadOnlySpan<byte> canonical, int start)
    {
        switch (At(canonical, start))
        {
            case (byte)'"':
                return SkipString(canonical, start);
            case (byte)'{' or (byte)'[':
                // Outside strings canonical text holds only brackets, separators and short scalars: a plain loop.
                var depth = 0;
                var i = start;
                while (true)
                {
                    switch (At(canonical, i))
                    {
                        case (byte)'"':
                            i = SkipString(canonical, i);
                            continue;
                        case (byte)'{' or (byte)'[':
                            depth++;
                            break;
                        case (byte)'}' or (byte)']':
                            if (--depth == 0)
                            {
                                return i + 1;
                            }

                            break;
                    }

                    i++;
                }

            default:
                var end = canonical[start..].IndexOfAny(ScalarEnd);
                return end < 0 ? canonical.Length : start + end;
        }
    }

    // From an opening quote to just after its closing quote (a backslash always escapes the next byte). Most strings
    // are short (names, small values): the first bytes are looked at one by one, longer strings with a vectorised search.
    private static int SkipString(ReadOnlySpan<byte> canonical, int start)
    {
        var i = start + 1;
        for (var limit = Math.Min(canonical.Length, i + 16); i < limit; i++)
        {
            var b = canonical[i];
            if (b == (byte)'"')
            {
                return i + 1;
            }

            if (b == (byte)'\\')
            {
                i++;
            }
        }

        while (true)
        {
            if (i >= canonical.Length)
            {
                throw NotCanonical();
            }

            var next = canonical[i..].IndexOfAny(StringEnd);
            if (next < 0)
            {
                throw NotCanonical();
            }

            i += next;
            if (canonical[i] == (byte)'"')
            {
                return i + 1;
            }

            i += 2;
        }
    }

    // A JSON string token (with its quotes) as a .NET string.
    private static string ReadString(ReadOnlySpan<byte> token)
    {
        var content = token[1..^1];
        if (content.IndexOf((byte)'\\') < 0)
        {
            return System.Text.Encoding.UTF8.GetString(content);
        }

        var reader = new Utf8JsonReader(token);
        reader.Read();
        return reader.GetString()!;
    }

    private static JsonTokenType TypeAt(ReadOnlySpan<byte> canonical, int start) => At(canonical, start) switch
    {
        (byte)'{' => JsonTokenType.StartObject,
        (byte)'[' => JsonTokenType.StartArray,
        (byte)'"' => JsonTokenType.String,
        (byte)'t' => JsonTokenType.True,
        (byte)'f' => JsonTokenType.False,
        (byte)'n' => JsonTokenType.Null,
        _ => JsonTokenType.Number,
    };

    private static byte At(ReadOnlySpan<byte> canonical, int index) => index < canonical.Length ? canonical[index] : throw NotCanonical();

    private static FormatException NotCanonical() => new("not canonical JSON text");

    /// <summary>Walks the members of one object of canonical text.</summary>
    private ref struct MemberReader(ReadOnlySpan<byte> canonical, int objectStart)
    {
        private readonly ReadOnlySpan<byte> _text = canonical;
        private int _next = objectStart + 1;   // where the next member (or the closing brace) starts
        private bool _valuePending;

        /// <summary>The opening quote of the current member's name.</summary>
        public int NameStart { get; private set; }

        /// <summary>Where the current member's value starts.</summary>
        public int ValueStart { get; private set; }

        /// <summary>Where the current member's value ends (after <see cref="Next"/> or <see cref="SkipValue"/>).</summary>
        public int ValueEnd { get; private set; }

        /// <summary>Moves to the next member and finds the end of its value.</summary>
        public bool Next()
        {
            if (!NextName())
            {
                return false;
            }

            SkipValue();
            return true;
        }

        /// <summary>Moves to the next member's name; its value is skipped by <see cref="SkipValue"/> or the next call.</summary>
        public bool NextName()
        {
            if (_valuePending)
            {
                SkipValue();
            }

            var at = At(_text, _next);
            if (at == (byte)',')
            {
                at = At(_text, ++_next);
            }

            if (at == (byte)'}')
            {
                return false;
            }

            if (at != (byte)'"')
            {
                throw NotCanonical();
            }

            NameStart = _next;
            var nameEnd = SkipString(_text, _next);
            if (At(_text, nameEnd) != (byte)':')
            {
                throw NotCanonical();
            }

            ValueStart = nameEnd + 1;
            _valuePending = true;
            return true;
        }

        public void SkipValue()
        {
            ValueEnd = CanonicalSplice.SkipValue(_text, ValueStart);
            _next = ValueEnd;
            _valuePending = false;
        }

        private readonly ReadOnlySpan<byte> Name => _text[(NameStart + 1)..(ValueStart - 2)];

        public readonly bool NameEquals(string name) => Ascii.Equals(Name, name);

        public readonly bool NameIsPastAll(ReadOnlySpan<string> names)
        {
            foreach (var name in names)
            {
                if (!NameIsPast(name))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// True when the current name sorts after <paramref name="name"/>: canonical members are in UTF-16 order, so the
        /// name cannot come later. For an ASCII <paramref name="name"/>, UTF-8 byte order gives the same answer; an escaped
        /// name is not compared (the scan simply goes on).
        /// </summary>
        public readonly bool NameIsPast(string name)
        {
            var key = Name;
            if (key.IndexOf((byte)'\\') >= 0)
            {
                return false;
            }

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
    }
}
