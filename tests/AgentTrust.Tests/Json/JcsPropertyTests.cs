using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Json;
using FsCheck;
using FsCheck.Fluent;

namespace AgentTrust.Tests.Json;

/// <summary>
/// FsCheck properties over generated documents: canonicalisation is idempotent, ignores member order, whitespace and
/// escaping choices, agrees with the JsonNode path, and preserves every value (parse/print round trip).
/// </summary>
public class JcsPropertyTests
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(300);

    /// <summary>String pieces: escapes, controls, DEL, non-ASCII, U+2028, the U+E000/U+FFFF vs surrogate-pair order.</summary>
    private static readonly string[] Pieces =
    [
        "a", "b", "Z", "0", " ", "\"", "\\", "/", "\u0000", "\u0001", "\b", "\t", "\n", "\f", "\r", "\u001f", "\u007f", "\u0080",
        "é", "e\u0301", "\u2028", "\u2029", "\u20ac", "\ue000", "\uffff", "\ufb33", "\U0001F600", "\U0010FFFF", "<", ">", "&",
    ];

    [Fact]
    public void Canonical_form_is_a_fixed_point()
    {
        Check.One(Config, Prop.ForAll(Documents(), document =>
        {
            var canonical = Canonical(document.Render(new Random(1)));
            return canonical.AsSpan().SequenceEqual(Canonical(canonical));
        }));
    }

    [Fact]
    public void Member_order_whitespace_and_escaping_do_not_change_the_canonical_form()
    {
        Check.One(Config, Prop.ForAll(Documents(), Gen.Choose(0, int.MaxValue).ToArbitrary(), (document, seed) =>
            Canonical(document.Render(new Random(seed))).AsSpan().SequenceEqual(Canonical(document.Render(new Random(seed ^ 0x5EED))))));
    }

    [Fact]
    public void Parse_print_round_trip_preserves_every_value_and_sorts_names()
    {
        Check.One(Config, Prop.ForAll(Documents(), document =>
        {
            var text = document.Render(new Random(7));
            var canonical = Canonical(text);
            using var parsed = JsonDocument.Parse(canonical);
            return document.Matches(parsed.RootElement)
                && canonical.AsSpan().SequenceEqual(JsonCanonicalizer.Canonicalize(JsonNode.Parse(text)))
                && canonical.AsSpan().SequenceEqual(JsonCanonicalizer.Canonicalize(parsed.RootElement));
        }));
    }

    private static byte[] Canonical(string text) => Canonical(System.Text.Encoding.UTF8.GetBytes(text));

    private static byte[] Canonical(byte[] utf8)
    {
        if (!JsonCanonicalizer.TryCanonicalize(utf8, CanonicalJsonOptions.Default, out var canonical, out var error))
        {
            throw new InvalidOperationException(error!.ToString());
        }

        return canonical;
    }

    private static Arbitrary<Model> Documents() => Gen.Sized(size => ModelGen(Math.Min(size, 12))).ToArbitrary();

    private static Gen<Model> ModelGen(int size)
    {
        var scalars = Gen.OneOf(
            Gen.Elements("null", "true", "false", "0", "-0", "1", "-1").Select(literal => (Model)new Literal(literal)),
            Gen.Choose(-1_000_000, 1_000_000).Select(n => (Model)new Literal(n.ToString(CultureInfo.InvariantCulture))),
            Gen.Choose(-999_999, 999_999).SelectMany(m => Gen.Choose(-40, 40), (m, e) => (Model)new Literal($"{m}e{e}")),
            Gen.Choose(int.MinValue, int.MaxValue).SelectMany(hi => Gen.Choose(int.MinValue, int.MaxValue), (hi, lo) => BitConverter.Int64BitsToDouble(((long)hi << 32) | (uint)lo))
                .Where(double.IsFinite).Select(d => (Model)new Literal(d.ToString("E16", CultureInfo.InvariantCulture))),
            Text().Select(s => (Model)new Str(s)));
        if (size <= 0)
        {
            return scalars;
        }

        var child = ModelGen(size / 2);
        return Gen.Frequency(
            (3, scalars),
            (1, Gen.ListOf(child, Math.Min(size, 6)).Select(items => (Model)new Arr([.. items]))),
            (2, Gen.ListOf(Text().SelectMany(_ => child, (name, value) => (name, value)), Math.Min(size, 6))
                .Select(members => (Model)new Obj([.. members.DistinctBy(m => m.name, StringComparer.Ordinal)]))));
    }

    private static Gen<string> Text() => Gen.ListOf(Gen.Elements(Pieces), 6).Select(parts => string.Concat(parts));

    private abstract record Model
    {
        public string Render(Random random)
        {
            var builder = new StringBuilder();
            Write(builder, random);
            return builder.ToString();
        }

        public abstract void Write(StringBuilder builder, Random random);

        public abstract bool Matches(JsonElement element);

        protected static void Space(StringBuilder builder, Random random)
        {
            if (random.Next(3) == 0)
            {
                builder.Append(" \t\n\r"[random.Next(4)]);
            }
        }

        protected static void WriteString(StringBuilder builder, string value, Random random)
        {
            var escapeAll = random.Next(2) == 0;
            builder.Append('"');
            foreach (var c in value)
            {
                if (escapeAll || c < 0x20)
                {
                    builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
                }
                else if (c is '"' or '\\')
                {
                    builder.Append('\\').Append(c);
                }
                else
                {
                    builder.Append(c);
                }
            }

            builder.Append('"');
        }
    }

    private sealed record Literal(string Text) : Model
    {
        public override void Write(StringBuilder builder, Random random) => builder.Append(Text);

        public override bool Matches(JsonElement element) => Text switch
        {
            "null" => element.ValueKind == JsonValueKind.Null,
            "true" => element.ValueKind == JsonValueKind.True,
            "false" => element.ValueKind == JsonValueKind.False,
            _ => element.ValueKind == JsonValueKind.Number
                && element.GetDouble() == double.Parse(Text, NumberStyles.Float, CultureInfo.InvariantCulture)
                && element.GetRawText() == JsonCanonicalizer.FormatNumber(double.Parse(Text, NumberStyles.Float, CultureInfo.InvariantCulture)),
        };
    }

    private sealed record Str(string Value) : Model
    {
        public override void Write(StringBuilder builder, Random random) => WriteString(builder, Value, random);

        public override bool Matches(JsonElement element) => element.ValueKind == JsonValueKind.String && element.GetString() == Value;
    }

    private sealed record Arr(Model[] Items) : Model
    {
        public override void Write(StringBuilder builder, Random random)
        {
            builder.Append('[');
            for (var i = 0; i < Items.Length; i++)
            {
                Space(builder, random);
                if (i > 0)
                {
                    builder.Append(',');
                    Space(builder, random);
                }

                Items[i].Write(builder, random);
            }

            Space(builder, random);
            builder.Append(']');
        }

        public override bool Matches(JsonElement element) => element.ValueKind == JsonValueKind.Array
            && element.GetArrayLength() == Items.Length
            && element.EnumerateArray().Zip(Items).All(pair => pair.Second.Matches(pair.First));
    }

    private sealed record Obj((string Name, Model Value)[] Members) : Model
    {
        public override void Write(StringBuilder builder, Random random)
        {
            builder.Append('{');
            var order = Members.OrderBy(_ => random.Next()).ToArray();
            for (var i = 0; i < order.Length; i++)
            {
                Space(builder, random);
                if (i > 0)
                {
                    builder.Append(',');
                    Space(builder, random);
                }

                WriteString(builder, order[i].Name, random);
                Space(builder, random);
                builder.Append(':');
                Space(builder, random);
                order[i].Value.Write(builder, random);
            }

            Space(builder, random);
            builder.Append('}');
        }

        public override bool Matches(JsonElement element)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            var properties = element.EnumerateObject().ToArray();
            var expected = Members.OrderBy(m => m.Name, StringComparer.Ordinal).ToArray();
            return properties.Length == expected.Length
                && properties.Zip(expected).All(pair => pair.First.Name == pair.Second.Name && pair.Second.Value.Matches(pair.First.Value));
        }
    }
}
