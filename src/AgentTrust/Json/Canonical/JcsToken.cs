namespace AgentTrust.Json.Canonical;

/// <summary>The kind of a token in the compact index built by <see cref="JcsDocument"/>.</summary>
internal enum JcsTokenKind
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
internal enum JcsTokenFlags
{
    None = 0,

    /// <summary>A string whose content holds at least one escape sequence.</summary>
    HasEscapes = 1,

    /// <summary>An integer literal of at most 15 digits: its ECMAScript form is the literal itself (except <c>-0</c>).</summary>
    VerbatimInteger = 2,
}

/// <summary>
/// One value (or member name) of the document, in document order, in 16 bytes (a 64 MiB document of
/// <c>[0,0,…]</c> has 32 million of them). Containers know where their subtree ends, so siblings are reached
/// without recursion: the value after token <c>t</c> is token <see cref="JcsDocument"/>.EndOf(t).
/// Two general slots hold what each kind needs: containers the subtree end and (objects) the offset of the sorted
/// member list; escaped member names the offset and length of the unescaped name; numbers the nearest double.
/// </summary>
internal struct JcsToken
{
    private const int LengthBits = 27;
    private const int LengthMask = (1 << LengthBits) - 1;

    private int _start;
    private int _lengthKindFlags;
    private int _slotA;
    private int _slotB;

    public JcsToken(JcsTokenKind kind, int start, int length, JcsTokenFlags flags = JcsTokenFlags.None)
    {
        _start = start;
        _lengthKindFlags = length | ((int)kind << LengthBits) | ((int)flags << (LengthBits + 3));
        _slotA = 0;
        _slotB = 0;
    }

    /// <summary>Byte offset: strings point at the first content byte (after the quote), other tokens at their first byte.</summary>
    public readonly int Start => _start;

    /// <summary>Strings: content length without quotes; numbers: literal length; objects: number of members.</summary>
    public int Length
    {
        readonly get => _lengthKindFlags & LengthMask;
        set => _lengthKindFlags = (_lengthKindFlags & ~LengthMask) | value;
    }

    public readonly JcsTokenKind Kind => (JcsTokenKind)((_lengthKindFlags >> LengthBits) & 0x7);

    public readonly JcsTokenFlags Flags => (JcsTokenFlags)((_lengthKindFlags >>> (LengthBits + 3)) & 0x3);

    /// <summary>Containers: the index of the first token after the subtree.</summary>
    public int End
    {
        readonly get => _slotA;
        set => _slotA = value;
    }

    /// <summary>Objects: offset of the sorted member list.</summary>
    public int MembersOffset
    {
        readonly get => _slotB;
        set => _slotB = value;
    }

    /// <summary>Escaped member names: offset of the unescaped name.</summary>
    public int NameOffset
    {
        readonly get => _slotA;
        set => _slotA = value;
    }

    /// <summary>Escaped member names: length of the unescaped name.</summary>
    public int NameLength
    {
        readonly get => _slotB;
        set => _slotB = value;
    }

    /// <summary>Numbers that are not <see cref="JcsTokenFlags.VerbatimInteger"/>: the nearest double.</summary>
    public double Number
    {
        readonly get => BitConverter.Int64BitsToDouble(((long)_slotA << 32) | (uint)_slotB);
        set
        {
            var bits = BitConverter.DoubleToInt64Bits(value);
            _slotA = (int)(bits >> 32);
            _slotB = (int)bits;
        }
    }

    public readonly bool IsContainer => Kind is JcsTokenKind.Array or JcsTokenKind.Object;

    /// <summary>The largest string, literal or member count a token can describe (128 MiB, above the hard input cap).</summary>
    public const int MaxLength = LengthMask;
}
