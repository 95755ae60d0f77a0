using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace AgentTrust.Json.Canonical;

/// <summary>
/// The byte-level canonicaliser: <see cref="CheckBounds"/> (size and nesting, before parsing), <see cref="Parse"/>
/// (one pass over the bytes: grammar, UTF-8, escapes, numbers, building a compact token index),
/// <see cref="SortMembers"/> (member order per object in UTF-16 code units, duplicates), <see cref="WriteTo"/>
/// (the canonical bytes, iteratively). No step recurses, so depth is bounded by the options only.
/// Working arrays come from <see cref="JcsArrays"/> (pooled unless huge); call <see cref="Dispose"/>.
/// </summary>
internal ref struct JcsDocument
{
    /// <summary>Inside a string: the bytes that end a plain run (quote, backslash, C0 controls).</summary>
    private static readonly SearchValues<byte> StringSpecials = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f\"\\"u8);

    private static readonly SearchValues<byte> Structural = SearchValues.Create("\"[]{},:"u8);

    private static readonly SearchValues<byte> QuoteOrBackslash = SearchValues.Create("\"\\"u8);

    private readonly ReadOnlySpan<byte> _input;
    private readonly JsonNumberProfile _profile;
    private readonly int _maxDepth;

    private JcsToken[] _tokens;
    private int _tokenCount;
    private int[] _order;
    private int _memberCount;
    private byte[] _names;
    private int _namesLength;
    private int[] _stack;
    private int _maxTokens;
    private byte[] _scratch;

    public JcsDocument(ReadOnlySpan<byte> input, CanonicalJsonOptions options)
    {
        _input = input;
        _profile = options.Numbers;
        _maxDepth = options.MaxDepth;
        _tokens = [];
        _order = [];
        _names = [];
        _stack = [];
        _scratch = [];
    }

    /// <summary>Checks the size and the nesting depth without parsing (brackets outside strings are counted).</summary>
    /// <param name="input">The JSON text.</param>
    /// <param name="options">The bounds.</param>
    /// <param name="deepest">The deepest nesting seen.</param>
    /// <param name="maxTokens">An upper bound of the tokens of a valid document: every value and member name but the
    /// top-level value follows a '[', '{', ',' or ':' outside strings.</param>
    public static CanonicalJsonError? CheckBounds(ReadOnlySpan<byte> input, CanonicalJsonOptions options, out int deepest, out int maxTokens)
    {
        deepest = 0;
        maxTokens = 1;
        var maxBytes = Math.Min(options.MaxInputBytes, CanonicalJsonOptions.HardMaxInputBytes);
        if (input.Length > maxBytes)
        {
            return JcsErrors.Create(JcsErrors.TooLarge, $"input of {input.Length} bytes exceeds the limit of {maxBytes} bytes", maxBytes);
        }

        var depth = 0;
        var i = 0;
        while (i < input.Length)
        {
            var next = input[i..].IndexOfAny(Structural);
            if (next < 0)
            {
                break;
            }

            i += next;
            var c = input[i];
            if (c == (byte)'"')
            {
                i++;
                while (i < input.Length)
                {
                    var q = input[i..].IndexOfAny(QuoteOrBackslash);
                    if (q < 0)
                    {
                        return null; // unterminated string: the parser reports it before the token bound matters
                    }

                    i += q;
                    if (input[i] == (byte)'\\')
                    {
                        i += 2;
                        continue;
                    }

                    break;
                }

                i++;
                continue;
            }

            if (c is (byte)',' or (byte)':')
            {
                maxTokens++;
            }
            else if (c is (byte)'[' or (byte)'{')
            {
                maxTokens++;
                depth++;
                if (depth > options.MaxDepth)
                {
                    return JcsErrors.Create(JcsErrors.TooDeep, $"nesting exceeds the limit of {options.MaxDepth}", i);
                }

                deepest = Math.Max(deepest, depth);
            }
            else
            {
                depth--;
            }

            i++;
        }

        return null;
    }

    /// <summary>Validates the whole input and builds the token index.</summary>
    public CanonicalJsonError? Parse(int deepest, int maxTokens)
    {
        _maxTokens = maxTokens;
        // Exact for valid input; for invalid input the pages of a large uninitialised array are never touched.
        _tokens = JcsArrays.Rent<JcsToken>(maxTokens);
        _stack = JcsArrays.Rent<int>((deepest + 1) * 2);
        var stack = _stack;
        var depth = 0;
        var pos = SkipWhitespace(0);
        while (true)
        {
            // A value starts at pos.
            if (pos >= _input.Length)
            {
                return Invalid("unexpected end of input", pos);
            }

            var c = _input[pos];
            var opened = false;
            switch (c)
            {
                case (byte)'{':
                case (byte)'[':
                    {
                        var isObject = c == (byte)'{';
                        var t = Add(isObject ? JcsTokenKind.Object : JcsTokenKind.Array, pos, 0);
                        pos = SkipWhitespace(pos + 1);
                        if (pos < _input.Length && _input[pos] == (isObject ? (byte)'}' : (byte)']'))
                        {
                            _tokens[t].End = _tokenCount;
                            pos++;
                            break;
                        }

                        if (depth >= _maxDepth || depth >= stack.Length)
                        {
                            return JcsErrors.Create(JcsErrors.TooDeep, $"nesting exceeds the limit of {_maxDepth}", _tokens[t].Start);
                        }

                        stack[depth++] = t;
                        opened = true;
                        if (isObject)
                        {
                            var error = ParseMemberName(ref pos, t);
                            if (error is not null)
                            {
                                return error;
                            }
                        }

                        break;
                    }

                case (byte)'"':
                    {
                        var error = ParseString(ref pos, isName: false);
                        if (error is not null)
                        {
                            return error;
                        }

                        break;
                    }

                case (byte)'t':
                    if (!Literal(ref pos, "true"u8, JcsTokenKind.True))
                    {
                        return Invalid("invalid literal", pos);
                    }

                    break;
                case (byte)'f':
                    if (!Literal(ref pos, "false"u8, JcsTokenKind.False))
                    {
                        return Invalid("invalid literal", pos);
                    }

                    break;
                case (byte)'n':
                    if (!Literal(ref pos, "null"u8, JcsTokenKind.Null))
                    {
                        return Invalid("invalid literal", pos);
                    }

                    break;
                default:
                    if (c == (byte)'-' || c - (uint)'0' <= 9)
                    {
                        var error = ParseNumber(ref pos);
                        if (error is not null)
                        {
                            return error;
                        }

                        break;
                    }

                    return Invalid(c == 0xEF && pos == 0 ? "byte order mark" : "unexpected character", pos);
            }

            if (opened)
            {
                continue;
            }

            // After a value: close containers, or find the separator before the next value.
            while (true)
            {
                pos = SkipWhitespace(pos);
                if (depth == 0)
                {
                    return pos == _input.Length ? null : Invalid("unexpected content after the value", pos);
                }

                if (pos >= _input.Length)
                {
                    return Invalid("unexpected end of input", pos);
                }

                var parent = stack[depth - 1];
                var isObject = _tokens[parent].Kind == JcsTokenKind.Object;
                c = _input[pos];
                if (c == (byte)',')
                {
                    pos = SkipWhitespace(pos + 1);
                    if (isObject)
                    {
                        var error = ParseMemberName(ref pos, parent);
                        if (error is not null)
                        {
                            return error;
                        }
                    }

                    break;
                }

                if (c == (isObject ? (byte)'}' : (byte)']'))
                {
                    _tokens[parent].End = _tokenCount;
                    depth--;
                    pos++;
                    continue;
                }

                return Invalid(isObject ? "expected ',' or '}'" : "expected ',' or ']'", pos);
            }
        }
    }

    /// <summary>Orders the members of every object by their names in UTF-16 code units and rejects duplicates.</summary>
    public CanonicalJsonError? SortMembers()
    {
        if (_memberCount == 0)
        {
            return null;
        }

        _order = JcsArrays.Rent<int>(_memberCount);
        var next = 0;
        int[]? mergeScratch = null;
        try
        {
            for (var t = 0; t < _tokenCount; t++)
            {
                ref var token = ref _tokens[t];
                if (token.Kind != JcsTokenKind.Object || token.Length == 0)
                {
                    continue;
                }

                token.MembersOffset = next;
                var members = _order.AsSpan(next, token.Length);
                next += token.Length;
                var k = t + 1;
                for (var i = 0; i < members.Length; i++)
                {
                    members[i] = k;
                    k = EndOf(k + 1);
                }

                var error = SortAndCheck(members, ref mergeScratch);
                if (error is not null)
                {
                    return error;
                }
            }
        }
        finally
        {
            if (mergeScratch is not null)
            {
                JcsArrays.Return(mergeScratch);
            }
        }

        return null;
    }

    /// <summary>Writes the canonical form (after <see cref="Parse"/> and <see cref="SortMembers"/> succeeded).</summary>
    public void WriteTo(ref JcsOutput output)
    {
        // Frames: (container token, position) pairs; position is a member index (objects) or the current child (arrays).
        var frames = _stack;
        var depth = 0;
        var t = 0;
        while (true)
        {
            ref var token = ref _tokens[t];
            switch (token.Kind)
            {
                case JcsTokenKind.Object when token.Length > 0:
                    {
                        output.WriteByte((byte)'{');
                        frames[2 * depth] = t;
                        frames[(2 * depth) + 1] = 0;
                        depth++;
                        var name = _order[token.MembersOffset];
                        WriteName(ref output, name);
                        t = name + 1;
                        continue;
                    }

                case JcsTokenKind.Object:
                    output.Write("{}"u8);
                    break;
                case JcsTokenKind.Array when token.End > t + 1:
                    output.WriteByte((byte)'[');
                    frames[2 * depth] = t;
                    frames[(2 * depth) + 1] = t + 1;
                    depth++;
                    t++;
                    continue;
                case JcsTokenKind.Array:
                    output.Write("[]"u8);
                    break;
                case JcsTokenKind.String:
                    WriteString(ref output, in token);
                    break;
                case JcsTokenKind.Number:
                    JcsNumbers.Write(ref output, _input.Slice(token.Start, token.Length), (token.Flags & JcsTokenFlags.VerbatimInteger) != 0, token.Number);
                    break;
                case JcsTokenKind.True:
                    output.Write("true"u8);
                    break;
                case JcsTokenKind.False:
                    output.Write("false"u8);
                    break;
                default:
                    output.Write("null"u8);
                    break;
            }

            // After a value: move to the next sibling or close containers.
            var advanced = false;
            while (depth > 0 && !advanced)
            {
                var container = frames[2 * (depth - 1)];
                ref var position = ref frames[(2 * (depth - 1)) + 1];
                ref var parent = ref _tokens[container];
                if (parent.Kind == JcsTokenKind.Object)
                {
                    position++;
                    if (position < parent.Length)
                    {
                        output.WriteByte((byte)',');
                        var name = _order[parent.MembersOffset + position];
                        WriteName(ref output, name);
                        t = name + 1;
                        advanced = true;
                    }
                    else
                    {
                        output.WriteByte((byte)'}');
                        depth--;
                    }
                }
                else
                {
                    var nextChild = EndOf(position);
                    if (nextChild < parent.End)
                    {
                        output.WriteByte((byte)',');
                        position = nextChild;
                        t = nextChild;
                        advanced = true;
                    }
                    else
                    {
                        output.WriteByte((byte)']');
                        depth--;
                    }
                }
            }

            if (!advanced)
            {
                return;
            }
        }
    }

    public void Dispose()
    {
        if (_tokens.Length > 0)
        {
            JcsArrays.Return(_tokens);
        }

        if (_order.Length > 0)
        {
            JcsArrays.Return(_order);
        }

        if (_names.Length > 0)
        {
            JcsArrays.Return(_names);
        }

        if (_stack.Length > 0)
        {
            JcsArrays.Return(_stack);
        }

        if (_scratch.Length > 0)
        {
            JcsArrays.Return(_scratch);
        }

        _tokens = [];
        _order = [];
        _names = [];
        _stack = [];
        _scratch = [];
    }

    private static CanonicalJsonError Invalid(string message, int offset) => JcsErrors.Create(JcsErrors.InvalidJson, message, offset);

    private static CanonicalJsonError? LocateInvalidUtf8(ReadOnlySpan<byte> run, int offset)
    {
        var i = 0;
        while (i < run.Length)
        {
            if (Rune.DecodeFromUtf8(run[i..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return JcsErrors.Create(JcsErrors.InvalidUtf8, "invalid UTF-8 in a string", offset + i);
            }

            i += consumed;
        }

        return JcsErrors.Create(JcsErrors.InvalidUtf8, "invalid UTF-8 in a string", offset);
    }

    private int SkipWhitespace(int pos)
    {
        while (pos < _input.Length)
        {
            var c = _input[pos];
            if (c is not ((byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t'))
            {
                break;
            }

            pos++;
        }

        return pos;
    }

    /// <summary>The index of the token after <paramref name="token"/>'s subtree.</summary>
    private readonly int EndOf(int token) => _tokens[token].IsContainer ? _tokens[token].End : token + 1;

    private int Add(JcsTokenKind kind, int start, int length, JcsTokenFlags flags = JcsTokenFlags.None)
    {
        if (_tokenCount == _tokens.Length)
        {
            JcsArrays.Grow(ref _tokens, _tokenCount, _tokenCount + 1, _maxTokens);
        }

        var index = _tokenCount++;
        _tokens[index] = new JcsToken(kind, start, length, flags);
        return index;
    }

    private bool Literal(ref int pos, ReadOnlySpan<byte> literal, JcsTokenKind kind)
    {
        if (!_input[pos..].StartsWith(literal))
        {
            return false;
        }

        Add(kind, pos, literal.Length);
        pos += literal.Length;
        return true;
    }

    private CanonicalJsonError? ParseMemberName(ref int pos, int objectToken)
    {
        if (pos >= _input.Length || _input[pos] != (byte)'"')
        {
            return Invalid("expected a member name", pos);
        }

        var error = ParseString(ref pos, isName: true);
        if (error is not null)
        {
            return error;
        }

        _tokens[objectToken].Length++;
        _memberCount++;
        pos = SkipWhitespace(pos);
        if (pos >= _input.Length || _input[pos] != (byte)':')
        {
            return Invalid("expected ':'", pos);
        }

        pos = SkipWhitespace(pos + 1);
        return null;
    }

    private CanonicalJsonError? ParseString(ref int pos, bool isName)
    {
        var start = pos + 1;
        var i = start;
        var escaped = false;
        while (true)
        {
            var next = _input[i..].IndexOfAny(StringSpecials);
            var runEnd = next < 0 ? _input.Length : i + next;
            var run = _input[i..runEnd];
            if (!Utf8.IsValid(run))
            {
                return LocateInvalidUtf8(run, i);
            }

            if (next < 0)
            {
                return Invalid("unterminated string", _input.Length);
            }

            i = runEnd;
            var c = _input[i];
            if (c == (byte)'"')
            {
                break;
            }

            if (c != (byte)'\\')
            {
                return Invalid("unescaped control character in a string", i);
            }

            escaped = true;
            if (i + 1 >= _input.Length)
            {
                return Invalid("unterminated string", _input.Length);
            }

            switch (_input[i + 1])
            {
                case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                    i += 2;
                    break;
                case (byte)'u':
                    {
                        var unit = i + 6 <= _input.Length ? JcsStrings.ParseHex4(_input.Slice(i + 2, 4)) : -1;
                        if (unit < 0)
                        {
                            return Invalid("invalid \\u escape", i);
                        }

                        if (unit is >= 0xDC00 and <= 0xDFFF)
                        {
                            return JcsErrors.Create(JcsErrors.LoneSurrogate, "lone low surrogate escape", i);
                        }

                        if (unit is >= 0xD800 and <= 0xDBFF)
                        {
                            var hasLow = i + 12 <= _input.Length && _input[i + 6] == (byte)'\\' && _input[i + 7] == (byte)'u';
                            var low = hasLow ? JcsStrings.ParseHex4(_input.Slice(i + 8, 4)) : -1;
                            if (low is < 0xDC00 or > 0xDFFF)
                            {
                                return JcsErrors.Create(JcsErrors.LoneSurrogate, "lone high surrogate escape", i);
                            }

                            i += 12;
                        }
                        else
                        {
                            i += 6;
                        }

                        break;
                    }

                default:
                    return Invalid("invalid escape", i);
            }
        }

        var length = i - start;
        var t = Add(JcsTokenKind.String, start, length, escaped ? JcsTokenFlags.HasEscapes : JcsTokenFlags.None);
        pos = i + 1;
        if (escaped && isName)
        {
            EnsureNames(length);
            var written = JcsStrings.Unescape(_input.Slice(start, length), _names.AsSpan(_namesLength));
            _tokens[t].NameOffset = _namesLength;
            _tokens[t].NameLength = written;
            _namesLength += written;
        }

        return null;
    }

    private CanonicalJsonError? ParseNumber(ref int pos)
    {
        var end = JcsNumbers.Scan(_input, pos, out var isInteger, out var integerDigits, out var errorAt);
        if (end < 0)
        {
            return Invalid("invalid number", errorAt);
        }

        var literal = _input[pos..end];
        var rejection = JcsNumbers.Check(literal, isInteger, integerDigits, _profile, out var verbatim, out var value);
        if (rejection is not null)
        {
            return JcsErrors.Create(JcsErrors.UnsafeNumber, rejection, pos);
        }

        var t = Add(JcsTokenKind.Number, pos, end - pos, verbatim ? JcsTokenFlags.VerbatimInteger : JcsTokenFlags.None);
        if (!verbatim)
        {
            _tokens[t].Number = value;
        }
        pos = end;
        return null;
    }

    private void EnsureNames(int additional)
    {
        if (_names.Length - _namesLength >= additional)
        {
            return;
        }

        var bigger = JcsArrays.Rent<byte>((int)Math.Min(Array.MaxLength, Math.Max(_namesLength + (long)additional, Math.Max(256L, _names.Length * 2L))));
        _names.AsSpan(0, _namesLength).CopyTo(bigger);
        if (_names.Length > 0)
        {
            JcsArrays.Return(_names);
        }

        _names = bigger;
    }

    private readonly ReadOnlySpan<byte> Name(int token)
    {
        ref readonly var t = ref _tokens[token];
        return (t.Flags & JcsTokenFlags.HasEscapes) != 0
            ? _names.AsSpan(t.NameOffset, t.NameLength)
            : _input.Slice(t.Start, t.Length);
    }

    private readonly int Compare(int a, int b) => JcsStrings.CompareUtf16Order(Name(a), Name(b));

    private readonly CanonicalJsonError? SortAndCheck(Span<int> members, ref int[]? mergeScratch)
    {
        // Canonical input is already in order: one linear check and done.
        var sorted = true;
        for (var i = 1; i < members.Length; i++)
        {
            if (Compare(members[i - 1], members[i]) >= 0)
            {
                sorted = false;
                break;
            }
        }

        if (sorted)
        {
            return null;
        }

        if (members.Length <= 16)
        {
            InsertionSort(members);
        }
        else
        {
            if (mergeScratch is null || mergeScratch.Length < members.Length)
            {
                if (mergeScratch is not null)
                {
                    JcsArrays.Return(mergeScratch);
                }

                mergeScratch = JcsArrays.Rent<int>(members.Length);
            }

            MergeSort(members, mergeScratch.AsSpan(0, members.Length));
        }

        for (var i = 1; i < members.Length; i++)
        {
            if (Compare(members[i - 1], members[i]) == 0)
            {
                var second = Math.Max(_tokens[members[i - 1]].Start, _tokens[members[i]].Start) - 1;
                return JcsErrors.Create(JcsErrors.DuplicateMember, "duplicate member name", second);
            }
        }

        return null;
    }

    private readonly void InsertionSort(Span<int> items)
    {
        for (var i = 1; i < items.Length; i++)
        {
            var item = items[i];
            var j = i - 1;
            while (j >= 0 && Compare(items[j], item) > 0)
            {
                items[j + 1] = items[j];
                j--;
            }

            items[j + 1] = item;
        }
    }

    /// <summary>Bottom-up merge sort: O(n log n) comparisons whatever the input, no recursion.</summary>
    private readonly void MergeSort(Span<int> items, Span<int> scratch)
    {
        const int Run = 16;
        for (var start = 0; start < items.Length; start += Run)
        {
            InsertionSort(items.Slice(start, Math.Min(Run, items.Length - start)));
        }

        var source = items;
        var target = scratch;
        for (var width = Run; width < items.Length; width *= 2)
        {
            for (var left = 0; left < items.Length; left += 2 * width)
            {
                var middle = Math.Min(left + width, items.Length);
                var right = Math.Min(left + (2 * width), items.Length);
                int a = left, b = middle, o = left;
                while (a < middle && b < right)
                {
                    target[o++] = Compare(source[a], source[b]) <= 0 ? source[a++] : source[b++];
                }

                while (a < middle)
                {
                    target[o++] = source[a++];
                }

                while (b < right)
                {
                    target[o++] = source[b++];
                }
            }

            var swap = source;
            source = target;
            target = swap;
        }

        if (source != items)
        {
            source.CopyTo(items);
        }
    }

    private void WriteName(ref JcsOutput output, int token)
    {
        ref readonly var t = ref _tokens[token];
        if ((t.Flags & JcsTokenFlags.HasEscapes) != 0)
        {
            JcsStrings.WriteQuoted(ref output, _names.AsSpan(t.NameOffset, t.NameLength));
        }
        else
        {
            WriteRaw(ref output, _input.Slice(t.Start, t.Length));
        }

        output.WriteByte((byte)':');
    }

    private void WriteString(ref JcsOutput output, in JcsToken token)
    {
        var content = _input.Slice(token.Start, token.Length);
        if ((token.Flags & JcsTokenFlags.HasEscapes) == 0)
        {
            WriteRaw(ref output, content);
            return;
        }

        if (_scratch.Length < content.Length)
        {
            if (_scratch.Length > 0)
            {
                JcsArrays.Return(_scratch);
            }

            _scratch = JcsArrays.Rent<byte>(Math.Max(content.Length, 256));
        }

        var written = JcsStrings.Unescape(content, _scratch);
        JcsStrings.WriteQuoted(ref output, _scratch.AsSpan(0, written));
    }

    /// <summary>Content without escapes is already canonical: no quote, backslash or control byte can occur in it.</summary>
    private static void WriteRaw(ref JcsOutput output, ReadOnlySpan<byte> content)
    {
        var span = output.GetSpan(Math.Min(content.Length, 1 << 20) + 2);
        if (span.Length >= content.Length + 2)
        {
            span[0] = (byte)'"';
            content.CopyTo(span[1..]);
            span[content.Length + 1] = (byte)'"';
            output.Advance(content.Length + 2);
            return;
        }

        output.WriteByte((byte)'"');
        output.Write(content);
        output.WriteByte((byte)'"');
    }
}
