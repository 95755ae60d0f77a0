using AgentTrust.Errors;
using AgentTrust.Json;

namespace AgentTrust.Tests.Json;

/// <summary>Everything the canonicaliser must refuse, with the MCPS code and reason it must refuse it with.</summary>
public class JcsRejectionTests
{
    /// <summary>Name → (input as hex bytes, expected reason, expected offset or −1 when not asserted).</summary>
    public static TheoryData<string, string, string, int> Cases() => new()
    {
        // Grammar.
        { "empty input", "", "invalid_json", 0 },
        { "whitespace only", Hex(" \n"), "invalid_json", 2 },
        { "byte order mark", "efbbbf" + Hex("{}"), "invalid_json", 0 },
        { "byte order mark before a number", "efbbbf" + Hex("1"), "invalid_json", 0 },
        { "trailing comma in array", Hex("[1,]"), "invalid_json", 3 },
        { "trailing comma in object", Hex("{\"a\":1,}"), "invalid_json", 7 },
        { "missing colon", Hex("{\"a\" 1}"), "invalid_json", 5 },
        { "unquoted name", Hex("{a:1}"), "invalid_json", 1 },
        { "single quotes", Hex("['a']"), "invalid_json", 1 },
        { "two values", Hex("1 2"), "invalid_json", 2 },
        { "unclosed array", Hex("[1"), "invalid_json", 2 },
        { "unclosed object", Hex("{\"a\":1"), "invalid_json", 6 },
        { "mismatched brackets", Hex("[1}"), "invalid_json", 2 },
        { "unterminated string", Hex("\"abc"), "invalid_json", 4 },
        { "leading zero", Hex("01"), "invalid_json", 1 },
        { "negative leading zero", Hex("-01"), "invalid_json", 2 },
        { "plus sign", Hex("+1"), "invalid_json", 0 },
        { "leading point", Hex(".5"), "invalid_json", 0 },
        { "trailing point", Hex("1."), "invalid_json", 2 },
        { "point before exponent", Hex("1.e5"), "invalid_json", 2 },
        { "empty exponent", Hex("1e"), "invalid_json", 2 },
        { "exponent sign only", Hex("1e+"), "invalid_json", 3 },
        { "minus only", Hex("-"), "invalid_json", 1 },
        { "NaN", Hex("NaN"), "invalid_json", 0 },
        { "Infinity", Hex("Infinity"), "invalid_json", 0 },
        { "minus Infinity", Hex("-Infinity"), "invalid_json", 1 },
        { "hex number", Hex("0x10"), "invalid_json", 1 },
        { "truncated literal", Hex("tru"), "invalid_json", 0 },
        { "capitalised literal", Hex("True"), "invalid_json", 0 },
        { "comment", Hex("[1/*x*/]"), "invalid_json", 2 },
        { "raw control character in string", Hex("\"a") + "01" + Hex("\""), "invalid_json", 2 },
        { "raw tab in string", Hex("\"a\tb\""), "invalid_json", 2 },
        { "raw newline in name", Hex("{\"a\nb\":1}"), "invalid_json", 3 },
        { "invalid escape", Hex("\"\\x\""), "invalid_json", 1 },
        { "short unicode escape", Hex("\"\\u12\""), "invalid_json", 1 },
        { "non-hex unicode escape", Hex("\"\\u12g4\""), "invalid_json", 1 },
        { "non-breaking space as whitespace", "c2a0" + Hex("1"), "invalid_json", 0 },
        { "vertical tab as whitespace", "0b" + Hex("1"), "invalid_json", 0 },

        // UTF-8.
        { "overlong slash", Hex("\"") + "c0af" + Hex("\""), "invalid_utf8", 1 },
        { "overlong three-byte", Hex("\"") + "e080af" + Hex("\""), "invalid_utf8", 1 },
        { "overlong four-byte", Hex("\"") + "f08080af" + Hex("\""), "invalid_utf8", 1 },
        { "UTF-8 encoded high surrogate", Hex("\"") + "eda080" + Hex("\""), "invalid_utf8", 1 },
        { "UTF-8 encoded low surrogate", Hex("\"ab") + "edbfbf" + Hex("\""), "invalid_utf8", 3 },
        { "UTF-8 encoded surrogate pair (CESU-8)", Hex("\"") + "eda0bdedb880" + Hex("\""), "invalid_utf8", 1 },
        { "lone continuation byte", Hex("\"") + "80" + Hex("\""), "invalid_utf8", 1 },
        { "truncated sequence", Hex("\"") + "e282" + Hex("\""), "invalid_utf8", 1 },
        { "beyond U+10FFFF", Hex("\"") + "f4908080" + Hex("\""), "invalid_utf8", 1 },
        { "byte FF", Hex("\"") + "ff" + Hex("\""), "invalid_utf8", 1 },
        { "invalid UTF-8 in a member name", Hex("{\"") + "c3" + Hex("\":1}"), "invalid_utf8", 2 },

        // Surrogate escapes.
        { "lone high surrogate escape", Hex("\"\\ud800\""), "lone_surrogate", 1 },
        { "lone low surrogate escape", Hex("\"\\udc00\""), "lone_surrogate", 1 },
        { "high surrogate then text", Hex("\"\\ud83dx\""), "lone_surrogate", 1 },
        { "high surrogate then BMP escape", Hex("\"\\ud83d\\u0041\""), "lone_surrogate", 1 },
        { "two high surrogates", Hex("\"\\ud83d\\ud83d\""), "lone_surrogate", 1 },
        { "reversed pair", Hex("\"\\ude00\\ud83d\""), "lone_surrogate", 1 },
        { "lone surrogate in a member name", Hex("{\"\\udfff\":1}"), "lone_surrogate", 2 },
        { "high surrogate at end of input", Hex("\"\\ud800"), "lone_surrogate", 1 },

        // Duplicates, compared after unescaping.
        { "duplicate member", Hex("{\"a\":1,\"a\":2}"), "duplicate_member", 7 },
        { "duplicate member, escaped", Hex("{\"a\":1,\"\\u0061\":2}"), "duplicate_member", 7 },
        { "duplicate member, both escaped differently", Hex("{\"\\u00e9\":1,\"\\u00E9\":2}"), "duplicate_member", 12 },
        { "duplicate member, raw and escaped", Hex("{\"\u00e9\":1,\"\\u00e9\":2}"), "duplicate_member", 8 },
        { "duplicate member, surrogate pair", Hex("{\"\\ud83d\\ude00\":1,\"\U0001F600\":2}"), "duplicate_member", 18 },
        { "duplicate member, nested", Hex("[{\"x\":{\"b\":1,\"c\":2,\"b\":3}}]"), "duplicate_member", 19 },
        { "duplicate top-level mcps", Hex("{\"mcps\":{},\"id\":1,\"mcps\":{}}"), "duplicate_member", 18 },
        { "duplicate empty name", Hex("{\"\":1,\"\":2}"), "duplicate_member", 6 },

        // Numbers that overflow a double.
        { "overflow 1e400", Hex("1e400"), "unsafe_number", 0 },
        { "overflow negative", Hex("[-1e400]"), "unsafe_number", 1 },
        { "overflow 2e308", Hex("2e308"), "unsafe_number", 0 },
        { "overflow just above max", Hex("1.7976931348623159e308"), "unsafe_number", 0 },
        { "overflow huge exponent", Hex("1e99999999999999999999"), "unsafe_number", 0 },
        { "overflow long integer", Hex(new string('9', 400)), "unsafe_number", 0 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rejected_with_code_and_reason(string name, string inputHex, string reason, int offset)
    {
        _ = name;
        var error = JcsTestSupport.Rejection(Convert.FromHexString(inputHex), CanonicalJsonOptions.Default);

        Assert.Equal(McpsCode.NonCanonicalInput, error.Code);
        Assert.Equal(reason, error.Reason);
        Assert.Equal(offset, error.Offset);
    }

    [Theory]
    [InlineData("1e-400", "0")]
    [InlineData("-1e-400", "0")]
    [InlineData("1e-99999999999999999999", "0")]
    [InlineData("0e99999999999999999999", "0")]
    [InlineData("1.7976931348623157e308", "1.7976931348623157e+308")]
    [InlineData("1.7976931348623158e308", "1.7976931348623157e+308")]
    [InlineData("2.4703282292062328e-324", "5e-324")]
    [InlineData("2.4703282292062327e-324", "0")]
    public void Underflow_and_rounding_at_the_edges_are_accepted(string literal, string expected)
    {
        Assert.Equal(expected, JcsTestSupport.CanonicalText(literal));
    }

    [Fact]
    public void Input_larger_than_the_limit_is_too_large_before_parsing()
    {
        var options = new CanonicalJsonOptions { MaxInputBytes = 10 };
        var error = JcsTestSupport.Rejection(System.Text.Encoding.UTF8.GetBytes("[\u0001 garbage!!"), options);
        Assert.Equal(McpsCode.InputLimitExceeded, error.Code);
        Assert.Equal("too_large", error.Reason);

        Assert.Equal("[1,2,3,4]", JcsTestSupport.CanonicalText("[1,2,3,4]", options)); // exactly 9 bytes passes
        Assert.Equal("[1,2,3,45]", JcsTestSupport.CanonicalText("[1,2,3,45]", options)); // exactly 10 bytes passes
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_too_deep_before_grammar_errors()
    {
        var options = new CanonicalJsonOptions { MaxDepth = 3 };
        Assert.Equal("[[[1]]]", JcsTestSupport.CanonicalText("[[[1]]]", options));
        Assert.Equal("{\"a\":[{}]}", JcsTestSupport.CanonicalText("{\"a\":[{}]}", options));

        var error = JcsTestSupport.Rejection("[[[[1]]]]", options);
        Assert.Equal(McpsCode.InputLimitExceeded, error.Code);
        Assert.Equal("too_deep", error.Reason);
        Assert.Equal(3, error.Offset);

        // Brackets inside strings do not count; the bound is checked before the grammar.
        Assert.Equal("[\"[[[[[[\"]", JcsTestSupport.CanonicalText("[\"[[[[[[\"]", options));
        Assert.Equal("too_deep", JcsTestSupport.Rejection("[x,[[[", options).Reason);
    }

    [Theory]
    [InlineData('[')]
    [InlineData('{')]
    public void A_million_open_brackets_are_refused_without_stack_overflow(char bracket)
    {
        var input = new byte[1_000_000];
        input.AsSpan().Fill((byte)bracket);
        var error = JcsTestSupport.Rejection(input, new CanonicalJsonOptions { MaxInputBytes = 2_000_000, MaxDepth = 1_000 });
        Assert.Equal(McpsCode.InputLimitExceeded, error.Code);
        Assert.Equal("too_deep", error.Reason);
    }

    [Fact]
    public void Deep_nesting_within_the_limit_is_canonicalised_without_recursion()
    {
        const int Depth = 200_000;
        var json = new string('[', Depth) + "{\"b\":1,\"a\":2}" + new string(']', Depth);
        var options = new CanonicalJsonOptions { MaxDepth = Depth + 1 };
        var expected = new string('[', Depth) + "{\"a\":2,\"b\":1}" + new string(']', Depth);
        Assert.Equal(expected, JcsTestSupport.CanonicalText(json, options));
    }

    [Fact]
    public void Invalid_options_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => JsonCanonicalizer.TryValidate("1"u8, new CanonicalJsonOptions { MaxDepth = 0 }, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => JsonCanonicalizer.TryValidate("1"u8, new CanonicalJsonOptions { MaxInputBytes = 0 }, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => JsonCanonicalizer.TryValidate("1"u8, new CanonicalJsonOptions { MaxInputBytes = CanonicalJsonOptions.HardMaxInputBytes + 1 }, out _));
    }

    private static string Hex(string text) => Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(text));
}
