using AgentTrust.Errors;
using AgentTrust.Json;

namespace AgentTrust.Tests.Json;

/// <summary>The number profiles: plain RFC 8785, the strict input profile (mcps.md §2), the Signet rule (receipts.md §2).</summary>
public class JcsNumberProfileTests
{
    /// <summary>Literal → canonical form under plain RFC 8785 (every profile accepts these through the same printer).</summary>
    [Theory]
    [InlineData("9007199254740993", "9007199254740992")]
    [InlineData("18446744073709551615", "18446744073709552000")]
    [InlineData("123456789012345680000", "123456789012345680000")]
    [InlineData("333333333.33333329", "333333333.3333333")]
    [InlineData("1E30", "1e+30")]
    [InlineData("1.0", "1")]
    [InlineData("-0", "0")]
    [InlineData("-0.0", "0")]
    [InlineData("0.000001", "0.000001")]
    [InlineData("0.0000001", "1e-7")]
    [InlineData("1e21", "1e+21")]
    [InlineData("100000000000000000000", "100000000000000000000")]
    [InlineData("999999999999999", "999999999999999")]
    [InlineData("-999999999999999", "-999999999999999")]
    [InlineData("1000000000000000", "1000000000000000")]
    [InlineData("4.50", "4.5")]
    [InlineData("2e-3", "0.002")]
    [InlineData("0.000000000000000000000000001", "1e-27")]
    [InlineData("1E+2", "100")]
    [InlineData("1e-0", "1")]
    public void Rfc8785_profile_prints_the_nearest_double(string literal, string expected)
    {
        Assert.Equal(expected, JcsTestSupport.CanonicalText(literal, CanonicalJsonOptions.Default));
    }

    [Theory]
    [InlineData("9007199254740992", "9007199254740992")]
    [InlineData("-9007199254740992", "-9007199254740992")]
    [InlineData("18446744073709551616", "18446744073709552000")]
    [InlineData("10000000000000000000000", "1e+22")]
    [InlineData("100000000000000000000", "100000000000000000000")]
    [InlineData("1e21", "1e+21")]
    [InlineData("0.1", "0.1")]
    [InlineData("333333333.33333329", "333333333.3333333")]
    [InlineData("9007199254740993.0", "9007199254740992")]
    [InlineData("9007199254740993e0", "9007199254740992")]
    [InlineData("1e400000000000000000000000", null)]
    public void Strict_profile_accepts_exact_integers_and_every_fraction_or_exponent(string literal, string? expected)
    {
        if (expected is null)
        {
            // Overflow is rejected in every profile, exponent or not.
            Assert.Equal("unsafe_number", JcsTestSupport.Rejection(literal, CanonicalJsonOptions.Strict).Reason);
            return;
        }

        Assert.Equal(expected, JcsTestSupport.CanonicalText(literal, CanonicalJsonOptions.Strict));
        Assert.Equal($"{{\"n\":[{expected}]}}", JcsTestSupport.CanonicalText($"{{ \"n\" : [ {literal} ] }}", CanonicalJsonOptions.Strict));
    }

    [Theory]
    [InlineData("9007199254740993")]
    [InlineData("-9007199254740993")]
    [InlineData("18446744073709551615")]
    [InlineData("18446744073709552000")]
    [InlineData("123456789012345680000")]
    [InlineData("1000000000000000000000000")]
    [InlineData("9223372036854775807")]
    public void Strict_profile_rejects_integers_a_double_cannot_hold(string literal)
    {
        var error = JcsTestSupport.Rejection($"{{\"a\":[1,{literal}]}}", CanonicalJsonOptions.Strict);
        Assert.Equal(McpsCode.NonCanonicalInput, error.Code);
        Assert.Equal("unsafe_number", error.Reason);
        Assert.Equal(8, error.Offset);

        // Plain RFC 8785 rounds them instead.
        Assert.True(JsonCanonicalizer.TryValidate(System.Text.Encoding.UTF8.GetBytes(literal), CanonicalJsonOptions.Default, out _));
    }

    [Theory]
    [InlineData("{\"n\":9007199254740992}")]
    [InlineData("{\"n\":-9007199254740992}")]
    [InlineData("{\"n\":18446744073709551615}")]
    [InlineData("{\"n\":9007199254740993}")]
    [InlineData("{\"n\":9223372036854775807}")]
    [InlineData("{\"n\":-9223372036854775808}")]
    public void Signet_profile_rejects_64_bit_integers_beyond_2_pow_53(string json)
    {
        var error = JcsTestSupport.Rejection(json, CanonicalJsonOptions.Signet);
        Assert.Equal(McpsCode.NonCanonicalInput, error.Code);
        Assert.Equal("unsafe_number", error.Reason);
    }

    [Theory]
    [InlineData("{\"n\":9007199254740991}", "{\"n\":9007199254740991}")]
    [InlineData("{\"n\":-9007199254740991}", "{\"n\":-9007199254740991}")]
    [InlineData("{\"n\":18446744073709551616}", "{\"n\":18446744073709552000}")]
    [InlineData("{\"n\":-9223372036854775809}", "{\"n\":-9223372036854776000}")]
    [InlineData("{\"n\":1e16}", "{\"n\":10000000000000000}")]
    [InlineData("{\"n\":9007199254740993.0}", "{\"n\":9007199254740992}")]
    [InlineData("{\"n\":1.0}", "{\"n\":1}")]
    [InlineData("{\"n\":-0.0}", "{\"n\":0}")]
    public void Signet_profile_table(string json, string expected)
    {
        Assert.Equal(expected, JcsTestSupport.CanonicalText(json, CanonicalJsonOptions.Signet));
    }
}
