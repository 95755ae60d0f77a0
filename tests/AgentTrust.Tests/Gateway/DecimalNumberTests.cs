using AgentTrust.Gateway.Http;

namespace AgentTrust.Tests.Gateway;

public sealed class DecimalNumberTests
{
    [Theory]
    [InlineData("100", "1e2")]
    [InlineData("100", "1.00E+2")]
    [InlineData("0", "-0")]
    [InlineData("0", "0.000e5")]
    [InlineData("-0.025", "-25e-3")]
    [InlineData("9007199254740993", "9.007199254740993e15")]
    [InlineData("10", "1e0000000000000000000001")]
    public void EqualValues_AreEqual_HoweverWritten(string a, string b)
    {
        Assert.True(DecimalNumber.TryParse(a, out var x));
        Assert.True(DecimalNumber.TryParse(b, out var y));
        Assert.Equal(x, y);
    }

    [Theory]
    [InlineData("9007199254740993", "9007199254740992")]
    [InlineData("0.1", "0.10000000000000001")]
    [InlineData("1", "-1")]
    public void DifferentValues_AreDifferent_HoweverClose(string a, string b)
    {
        Assert.True(DecimalNumber.TryParse(a, out var x));
        Assert.True(DecimalNumber.TryParse(b, out var y));
        Assert.NotEqual(x, y);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("+1")]
    [InlineData("01")]
    [InlineData("1.")]
    [InlineData(".5")]
    [InlineData("1e")]
    [InlineData("1e+")]
    [InlineData("1e1234567890123456789")]
    [InlineData("Infinity")]
    [InlineData("NaN")]
    [InlineData("0x10")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    public void TextThatIsNotAJsonNumber_IsRefused(string text)
    {
        Assert.False(DecimalNumber.TryParse(text, out _));
    }

    [Theory]
    [InlineData("1E+2", "100")]
    [InlineData("-25e-3", "-0.025")]
    [InlineData("12.50", "12.5")]
    [InlineData("-0", "0")]
    [InlineData("1e-3", "0.001")]
    [InlineData("0.5", "0.5")]
    [InlineData("5e-1", "0.5")]
    [InlineData("-123.456", "-123.456")]
    public void PlainText_IsDecimalNotation(string text, string plain)
    {
        Assert.True(DecimalNumber.TryParse(text, out var number));
        Assert.Equal(plain, number.ToPlainString());
    }

    [Fact]
    public void PlainText_IsNotWrittenForHugeExponents()
    {
        Assert.True(DecimalNumber.TryParse("1e400", out var number));
        Assert.Null(number.ToPlainString());
        Assert.True(DecimalNumber.TryParse("1e-400", out number));
        Assert.Null(number.ToPlainString());
    }

    [Fact]
    public void PlainText_IsWrittenUpTo64Zeros()
    {
        Assert.True(DecimalNumber.TryParse("1e64", out var number));
        Assert.Equal("1" + new string('0', 64), number.ToPlainString());
        Assert.True(DecimalNumber.TryParse("1e65", out number));
        Assert.Null(number.ToPlainString());
        Assert.True(DecimalNumber.TryParse("1e-65", out number));
        Assert.Equal("0." + new string('0', 64) + "1", number.ToPlainString());
    }
}
