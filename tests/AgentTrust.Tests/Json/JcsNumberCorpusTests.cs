using System.Globalization;
using AgentTrust.Json;

namespace AgentTrust.Tests.Json;

/// <summary>
/// 24,000 doubles with their ECMAScript text from Node (Data/number-corpus.txt, made by
/// Data/generate-number-corpus.mjs): random bit patterns, subnormals, extremes, powers of ten and two, integers
/// around 2^53/2^63/2^64, neighbours of the 1e21 and 1e-7 layout switches.
/// </summary>
public class JcsNumberCorpusTests
{
    private static readonly Lazy<(double Value, string Bits, string Text)[]> Corpus = new(Load);

    [Fact]
    public void Corpus_is_large_and_covers_the_layouts()
    {
        var corpus = Corpus.Value;
        Assert.True(corpus.Length >= 20_000);
        Assert.Contains(corpus, x => x.Text == "5e-324");
        Assert.Contains(corpus, x => x.Text.Contains("e+", StringComparison.Ordinal));
        Assert.Contains(corpus, x => x.Text.StartsWith("0.00000", StringComparison.Ordinal));
        Assert.Contains(corpus, x => x.Text.Length == 21 && !x.Text.Contains('.', StringComparison.Ordinal));
    }

    [Fact]
    public void FormatNumber_matches_ecmascript_for_every_corpus_double()
    {
        var mismatches = Corpus.Value
            .Where(x => JsonCanonicalizer.FormatNumber(x.Value) != x.Text)
            .Select(x => $"{x.Bits}: expected {x.Text}, got {JsonCanonicalizer.FormatNumber(x.Value)}")
            .Take(20)
            .ToList();
        Assert.Empty(mismatches);
    }

    [Fact]
    public void Exact_algorithm_matches_ecmascript_for_every_corpus_double()
    {
        var mismatches = Corpus.Value
            .Where(x => x.Value != 0 && FormatExact(x.Value) != x.Text)
            .Select(x => $"{x.Bits}: expected {x.Text}, got {FormatExact(x.Value)}")
            .Take(20)
            .ToList();
        Assert.Empty(mismatches);
    }

    [Fact]
    public void Fast_path_agrees_with_the_exact_algorithm_on_every_power_of_two_and_random_doubles()
    {
        var random = new Random(8785);
        var values = Enumerable.Range(-1074, 2098).Select(e => Math.ScaleB(1.0, e))
            .Concat(Enumerable.Range(0, 20_000).Select(_ => BitConverter.Int64BitsToDouble(random.NextInt64())).Where(double.IsFinite));
        var mismatches = values
            .Where(v => v != 0 && JsonCanonicalizer.FormatNumber(v) != FormatExact(v))
            .Select(v => $"{BitConverter.DoubleToInt64Bits(v):x16}: fast {JsonCanonicalizer.FormatNumber(v)}, exact {FormatExact(v)}")
            .Take(20)
            .ToList();
        Assert.Empty(mismatches);
    }

    [Fact]
    public void Canonicaliser_reads_every_corpus_literal_back_to_the_same_text()
    {
        // Each ES text is a literal whose nearest double is the corpus value; printing it again must give the same text.
        var builder = new System.Text.StringBuilder("[");
        foreach (var (_, _, text) in Corpus.Value)
        {
            builder.Append(text).Append(',');
        }

        builder.Length--;
        builder.Append(']');
        var json = builder.ToString();
        Assert.Equal(json, JcsTestSupport.CanonicalText(json, new CanonicalJsonOptions { MaxInputBytes = 16 << 20 }));
    }

    [Fact]
    public void Canonicaliser_reads_a_17_digit_literal_of_every_double_to_its_ecmascript_text()
    {
        // A 17-digit exponent form (.NET "E16", always read back exactly) is another literal for the same double.
        var corpus = Corpus.Value;
        var json = "[" + string.Join(',', corpus.Select(x => x.Value.ToString("E16", CultureInfo.InvariantCulture))) + "]";
        var expected = "[" + string.Join(',', corpus.Select(x => x.Text)) + "]";
        Assert.Equal(expected, JcsTestSupport.CanonicalText(json, new CanonicalJsonOptions { MaxInputBytes = 16 << 20 }));
    }

    private static string FormatExact(double value)
    {
        Span<byte> text = stackalloc byte[AgentTrust.Json.Canonical.EcmaScriptNumberFormatter.MaxLength];
        var length = AgentTrust.Json.Canonical.EcmaScriptNumberFormatter.Format(value, text, exactOnly: true);
        return System.Text.Encoding.ASCII.GetString(text[..length]);
    }

    private static (double, string, string)[] Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Json", "Data", "number-corpus.txt");
        return File.ReadLines(path)
            .Where(line => line.Length > 0)
            .Select(line =>
            {
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                var bits = line[..space];
                var value = BitConverter.UInt64BitsToDouble(ulong.Parse(bits, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                return (value, bits, line[(space + 1)..]);
            })
            .ToArray();
    }
}
