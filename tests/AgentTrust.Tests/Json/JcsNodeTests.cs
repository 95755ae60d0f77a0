using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Errors;
using AgentTrust.Json;

namespace AgentTrust.Tests.Json;

/// <summary>Canonicalising in-memory <see cref="JsonNode"/> trees and parsed <see cref="JsonElement"/>s.</summary>
public class JcsNodeTests
{
    private static string Text(byte[] bytes) => System.Text.Encoding.UTF8.GetString(bytes);

    [Fact]
    public void Parsed_node_canonicalises_like_its_text()
    {
        const string Json = "{ \"z\": [1.0, \"caf\\u00e9\", {\"b\": true, \"a\": null}], \"\\u20ac\": 1E30, \"a\": -0 }";
        var expected = JcsTestSupport.Canonical(Json);

        Assert.Equal(expected, JsonCanonicalizer.Canonicalize(JsonNode.Parse(Json)));
        Assert.Equal(expected, JsonCanonicalizer.Canonicalize(JsonDocument.Parse(Json).RootElement));
        Assert.Equal("{\"a\":0,\"z\":[1,\"café\",{\"a\":null,\"b\":true}],\"€\":1e+30}", Text(expected));
    }

    [Fact]
    public void Clr_values_are_formatted_like_ecmascript()
    {
        var node = new JsonObject
        {
            ["double"] = 1e21,
            ["negativeZero"] = -0.0,
            ["float"] = 0.1f,
            ["decimal"] = 1.50m,
            ["int"] = 5,
            ["long"] = -9007199254740991L,
            ["ulong"] = 18446744073709551615UL,
            ["byte"] = (byte)255,
            ["bool"] = false,
            ["null"] = null,
            ["text"] = "\u2028</script>\u0007\"\\/\U0001F600",
            ["date"] = new DateTime(2026, 1, 15, 12, 0, 0, DateTimeKind.Utc),
        };

        Assert.Equal(
            "{\"bool\":false,\"byte\":255,\"date\":\"2026-01-15T12:00:00Z\",\"decimal\":1.5,\"double\":1e+21,\"float\":0.10000000149011612," +
            "\"int\":5,\"long\":-9007199254740991,\"negativeZero\":0,\"null\":null,\"text\":\"\u2028</script>\\u0007\\\"\\\\/\U0001F600\"," +
            "\"ulong\":18446744073709552000}",
            Text(JsonCanonicalizer.Canonicalize(node)));
    }

    [Fact]
    public void Member_names_are_ordered_by_utf16_code_units()
    {
        var node = new JsonObject { ["\uffff"] = 3, ["\ue000"] = 1, ["\U0001F600"] = 2, ["a"] = 4 };
        Assert.Equal("{\"a\":4,\"\U0001F600\":2,\"\ue000\":1,\"\uffff\":3}", Text(JsonCanonicalizer.Canonicalize(node)));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Non_finite_doubles_are_refused(double value)
    {
        var error = Assert.Throws<CanonicalJsonException>(() => JsonCanonicalizer.Canonicalize(new JsonArray(1, value))).Error;
        Assert.Equal(McpsCode.NonCanonicalInput, error.Code);
        Assert.Equal("non_finite_number", error.Reason);
        Assert.Equal("non_finite_number", Assert.Throws<CanonicalJsonException>(() => JsonCanonicalizer.Canonicalize(JsonValue.Create((float)value))).Error.Reason);
    }

    [Fact]
    public void Lone_surrogates_in_clr_strings_are_refused_in_values_and_names()
    {
        Assert.Equal("lone_surrogate", Assert.Throws<CanonicalJsonException>(() => JsonCanonicalizer.Canonicalize(JsonValue.Create("a\ud800"))).Error.Reason);
        Assert.Equal("lone_surrogate", Assert.Throws<CanonicalJsonException>(() => JsonCanonicalizer.Canonicalize(new JsonObject { ["\udc00"] = 1 })).Error.Reason);
        Assert.Equal("lone_surrogate", Assert.Throws<CanonicalJsonException>(() => JsonCanonicalizer.Canonicalize(new JsonArray("\ude00\ud83d"))).Error.Reason);
    }

    [Fact]
    public void Clr_integers_beyond_2_pow_53_follow_the_profile()
    {
        var node = new JsonObject { ["n"] = 9007199254740993L };
        Assert.Equal("{\"n\":9007199254740992}", Text(JsonCanonicalizer.Canonicalize(node)));
        Assert.Equal("unsafe_number", Assert.Throws<CanonicalJsonException>(() => JsonCanonicalizer.Canonicalize(node, CanonicalJsonOptions.Strict)).Error.Reason);
        Assert.Equal("unsafe_number", Assert.Throws<CanonicalJsonException>(() => JsonCanonicalizer.Canonicalize(new JsonArray(ulong.MaxValue), CanonicalJsonOptions.Strict)).Error.Reason);
        Assert.Equal("unsafe_number", Assert.Throws<CanonicalJsonException>(() => JsonCanonicalizer.Canonicalize(new JsonArray(1L << 53), CanonicalJsonOptions.Signet)).Error.Reason);
        Assert.Equal("[9007199254740992]", Text(JsonCanonicalizer.Canonicalize(new JsonArray(1L << 53), CanonicalJsonOptions.Strict)));
        Assert.Equal("[1]", Text(JsonCanonicalizer.Canonicalize(new JsonArray(1.0m))));
        Assert.Equal("unsafe_number", Assert.Throws<CanonicalJsonException>(() => JsonCanonicalizer.Canonicalize(new JsonArray(decimal.MaxValue), CanonicalJsonOptions.Strict)).Error.Reason);
    }

    [Fact]
    public void Literals_from_parsed_text_follow_the_profile()
    {
        var node = JsonNode.Parse("{\"n\":9007199254740993,\"m\":[0.1]}");
        Assert.Equal("{\"m\":[0.1],\"n\":9007199254740992}", Text(JsonCanonicalizer.Canonicalize(node)));
        Assert.Equal("unsafe_number", Assert.Throws<CanonicalJsonException>(() => JsonCanonicalizer.Canonicalize(node, CanonicalJsonOptions.Strict)).Error.Reason);
        Assert.Equal("unsafe_number", Assert.Throws<CanonicalJsonException>(() => JsonCanonicalizer.Canonicalize(JsonDocument.Parse("[9007199254740993]").RootElement, CanonicalJsonOptions.Strict)).Error.Reason);
    }

    [Fact]
    public void Parsed_element_with_duplicate_members_is_refused()
    {
        using var document = JsonDocument.Parse("{\"a\":1,\"a\":2}");
        var error = Assert.Throws<CanonicalJsonException>(() => JsonCanonicalizer.Canonicalize(document.RootElement)).Error;
        Assert.Equal("duplicate_member", error.Reason);
    }

    [Fact]
    public void Parsed_element_with_a_lone_surrogate_escape_is_refused()
    {
        using var document = JsonDocument.Parse("[\"\\ud800\"]");
        Assert.Equal("lone_surrogate", Assert.Throws<CanonicalJsonException>(() => JsonCanonicalizer.Canonicalize(document.RootElement)).Error.Reason);
    }

    [Fact]
    public void Null_node_is_the_null_literal()
    {
        Assert.Equal("null", Text(JsonCanonicalizer.Canonicalize((JsonNode?)null)));
    }

    [Fact]
    public void Node_nesting_beyond_the_limit_is_too_deep()
    {
        JsonNode node = new JsonArray();
        for (var i = 0; i < 10; i++)
        {
            node = new JsonArray(node);
        }

        Assert.Equal(new string('[', 11) + new string(']', 11), Text(JsonCanonicalizer.Canonicalize(node)));
        var error = Assert.Throws<CanonicalJsonException>(() => JsonCanonicalizer.Canonicalize(node, new CanonicalJsonOptions { MaxDepth = 10 })).Error;
        Assert.Equal(McpsCode.InputLimitExceeded, error.Code);
        Assert.Equal("too_deep", error.Reason);

        // A parsed subtree counts towards the same depth.
        var embedded = new JsonArray(new JsonArray(JsonNode.Parse("[[1]]")));
        Assert.Equal("[[[[1]]]]", Text(JsonCanonicalizer.Canonicalize(embedded, new CanonicalJsonOptions { MaxDepth = 4 })));
        Assert.Equal("too_deep", Assert.Throws<CanonicalJsonException>(() => JsonCanonicalizer.Canonicalize(embedded, new CanonicalJsonOptions { MaxDepth = 3 })).Error.Reason);
    }
}
