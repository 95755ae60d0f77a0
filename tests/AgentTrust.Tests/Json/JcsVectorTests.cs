using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AgentTrust.Errors;
using AgentTrust.Json;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Json;

/// <summary>The public RFC 8785 vectors (RFC text, cyberphone test data) and the `jcs` interop vectors.</summary>
public class JcsVectorTests
{
    private static JsonElement Rfc => JsonDocument.Parse(SharedFiles.ReadText("vectors", "jcs", "rfc8785_examples.json")).RootElement;

    private static JsonElement InteropEntry(string name) => JsonDocument.Parse(SharedFiles.ReadText("interop", "mcps", "vectors.json"))
        .RootElement.GetProperty("jcs").EnumerateArray().Select((e, i) => (Entry: e, Name: InteropName(e, i))).Single(x => x.Name == name).Entry;

    public static TheoryData<string> CyberphoneFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(SharedFiles.Path("vectors", "jcs", "cyberphone", "input"), "*.json").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(file));
        }

        return data;
    }

    public static TheoryData<string> InteropNames()
    {
        var data = new TheoryData<string>();
        var entries = JsonDocument.Parse(SharedFiles.ReadText("interop", "mcps", "vectors.json")).RootElement.GetProperty("jcs");
        var i = 0;
        foreach (var entry in entries.EnumerateArray())
        {
            data.Add(InteropName(entry, i++));
        }

        return data;
    }

    public static TheoryData<string> AppendixBRows()
    {
        var data = new TheoryData<string>();
        foreach (var row in Rfc.GetProperty("appendix_b_number_samples").GetProperty("rows").EnumerateArray())
        {
            data.Add(row.GetProperty("ieee754_hex").GetString()!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CyberphoneFiles))]
    public void Cyberphone_input_canonicalises_to_output_and_outhex(string name)
    {
        var input = SharedFiles.ReadBytes("vectors", "jcs", "cyberphone", "input", name + ".json");
        var expected = SharedFiles.ReadBytes("vectors", "jcs", "cyberphone", "output", name + ".json");
        var hex = SharedFiles.ReadText("vectors", "jcs", "cyberphone", "outhex", name + ".txt");
        var expectedFromHex = Convert.FromHexString(string.Concat(hex.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries)));

        var canonical = JcsTestSupport.Canonical(input);

        Assert.Equal(expected, canonical);
        Assert.Equal(expectedFromHex, canonical);
        Assert.Equal(expected, JcsTestSupport.Canonical(canonical)); // canonical input is a fixed point
    }

    [Fact]
    public void Rfc8785_section_3_2_example_gives_the_canonical_text_and_bytes()
    {
        var canonical = JcsTestSupport.Canonical(Rfc.GetProperty("section_3_2_2_input_json").GetString()!);

        Assert.Equal(Rfc.GetProperty("section_3_2_3_canonical_json").GetString(), System.Text.Encoding.UTF8.GetString(canonical));
        Assert.Equal(Convert.FromHexString(Rfc.GetProperty("section_3_2_4_canonical_utf8_hex").GetString()!), canonical);
    }

    [Fact]
    public void Rfc8785_sorting_example_orders_members_by_utf16_code_units()
    {
        var canonical = JcsTestSupport.Canonical(Rfc.GetProperty("section_3_2_3_sorting_input_json").GetString()!);
        using var document = JsonDocument.Parse(canonical);

        var values = document.RootElement.EnumerateObject().Select(p => p.Value.GetString()).ToArray();
        var expected = Rfc.GetProperty("section_3_2_3_sorting_expected_value_order").EnumerateArray().Select(e => e.GetString()).ToArray();
        Assert.Equal(expected, values);
    }

    [Theory]
    [MemberData(nameof(AppendixBRows))]
    public void Rfc8785_appendix_b_number_serialisation(string ieee754Hex)
    {
        var row = Rfc.GetProperty("appendix_b_number_samples").GetProperty("rows").EnumerateArray()
            .Single(r => r.GetProperty("ieee754_hex").GetString() == ieee754Hex);
        var value = BitConverter.Int64BitsToDouble(Convert.ToInt64(ieee754Hex, 16));

        if (row.TryGetProperty("expect_error", out var expectError) && expectError.GetBoolean())
        {
            var exception = Assert.Throws<CanonicalJsonException>(() => JsonCanonicalizer.FormatNumber(value));
            Assert.Equal("non_finite_number", exception.Error.Reason);
            Assert.Equal(McpsCode.NonCanonicalInput, exception.Error.Code);
            return;
        }

        var expected = row.GetProperty("expected").GetString()!;
        Assert.Equal(expected, JsonCanonicalizer.FormatNumber(value));

        // The same text read back as a literal canonicalises to itself.
        Assert.Equal(expected, JcsTestSupport.CanonicalText(expected));
    }

    [Theory]
    [MemberData(nameof(InteropNames))]
    public void Interop_jcs_vector(string name)
    {
        var entry = InteropEntry(name);
        if (entry.TryGetProperty("expected_error", out var expectedError) && expectedError.GetBoolean())
        {
            // NaN and infinities are host values, not JSON: the API refuses them.
            foreach (var value in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
            {
                Assert.Equal("non_finite_number", Assert.Throws<CanonicalJsonException>(() => JsonCanonicalizer.FormatNumber(value)).Error.Reason);
                var node = new System.Text.Json.Nodes.JsonObject { ["n"] = value };
                Assert.Equal("non_finite_number", Assert.Throws<CanonicalJsonException>(() => JsonCanonicalizer.Canonicalize(node)).Error.Reason);
            }

            Assert.Equal("invalid_json", JcsTestSupport.Rejection("NaN").Reason);
            Assert.Equal("invalid_json", JcsTestSupport.Rejection("Infinity").Reason);
            return;
        }

        var input = System.Text.Encoding.UTF8.GetBytes(entry.GetProperty("input_json").GetString()!);
        var expected = Convert.FromHexString(entry.GetProperty("expected_utf8_hex").GetString()!);
        var digest = entry.GetProperty("sha256_hex").GetString()!;

        switch (name)
        {
            case "9007199254740993":
            case "123456789012345680000":
                // Deviation table row 1 (9007199254740993), and the same rule for 123456789012345680000, whose value
                // (1.2345678901234568e20 as a double is 123456789012345683968) a double cannot hold exactly either:
                // the strict profile rejects both (mcps.md §2); plain RFC 8785 gives the reference bytes.
                AssertStrictRejects(input, "unsafe_number");
                var plain = JcsTestSupport.Canonical(input, CanonicalJsonOptions.Default);
                Assert.Equal(expected, plain);
                Assert.Equal(digest, Convert.ToHexStringLower(SHA256.HashData(plain)));
                return;
            case "\"\\ud800\"":
                // Deviation table row 2: the reference emits "\ud800"; AgentTrust rejects under every profile.
                AssertStrictRejects(input, "lone_surrogate");
                Assert.Equal("lone_surrogate", JcsTestSupport.Rejection(input, CanonicalJsonOptions.Default).Reason);
                Assert.Equal("lone_surrogate", JcsTestSupport.Rejection(input, CanonicalJsonOptions.Signet).Reason);
                return;
        }

        var canonical = JcsTestSupport.Canonical(input, CanonicalJsonOptions.Strict);
        Assert.Equal(expected, canonical);
        Assert.Equal(digest, Convert.ToHexStringLower(SHA256.HashData(canonical)));
        Assert.Equal(expected, JcsTestSupport.Canonical(input, CanonicalJsonOptions.Default));
    }

    private static void AssertStrictRejects(byte[] input, string reason)
    {
        var error = JcsTestSupport.Rejection(input, CanonicalJsonOptions.Strict);
        Assert.Equal(McpsCode.NonCanonicalInput, error.Code);
        Assert.Equal(reason, error.Reason);
    }

    /// <summary>Vectors have no name field: the input text names them (the NaN/Infinity entry by its description).</summary>
    private static string InteropName(JsonElement entry, int index)
    {
        var input = entry.GetProperty("input_json");
        return input.ValueKind == JsonValueKind.String ? input.GetString()! : $"#{index} {entry.GetProperty("input_desc").GetString()}";
    }
}
