namespace AgentTrust.Json.Canonical;

/// <summary>The kind of a token in the compact index built by <see cref="JcsDocument"/>.</summary>
internal enum JcsTokenKind : byte
{
    Null,
    False,
    True,
    Number,
    String,
    Array,
    Object,
}

/// <summary>Facts about a token the writer needs.</summary>
[Flags]
internal enum JcsTokenFlags : byte
{
    None = 0,

    /// <summary>A string whose content holds at least one escape sequence.</summary>
    HasEscapes = 1,

    /// <summary>An integer literal of at most 15 digits: its ECMAScript form is the literal itself (except <c>-0</c>).</summary>
    VerbatimInteger = 2,
}

/// <summary>
/// One value (or member name) of the document, in document order. Containers know where their subtree ends, so
/// siblings are reached without recursion: the value after token <c>t</c> is token <c>tokens[t].End</c>.
/// </summary>
internal struct JcsToken
{
    /// <summary>Byte offset: strings point at the first content byte (after the quote), other tokens at their first byte.</summary>
    public int Start;

    /// <summary>Byte length: strings count the content without quotes; numbers the literal.</summary>
    public int Length;

    /// <summary>The index of the first token after this token's subtree.</summary>
    public int End;

    /// <summary>Objects: the number of members.</summary>
    public int Count;

    /// <summary>Objects: offset of the sorted member list; escaped member names: offset of the unescaped name.</summary>
    public int Aux;

    /// <summary>Escaped member names: length of the unescaped name.</summary>
    public int AuxLength;

    /// <summary>Numbers that are not <see cref="JcsTokenFlags.VerbatimInteger"/>: the nearest double.</summary>
    public double Number;

    public JcsTokenKind Kind;

    public JcsTokenFlags Flags;
}
