using AgentTrust.Errors;
using AgentTrust.Json;

namespace AgentTrust.Tests.Json;

/// <summary>
/// Mutated documents (bytes flipped, inserted, deleted, truncated): the Try* methods never throw, a rejection always
/// carries a code from the closed set and an offset inside the input, and whatever is accepted is canonical output
/// that canonicalises to itself.
/// </summary>
public class JcsFuzzTests
{
    private static readonly string[] Reasons = ["too_large", "too_deep", "invalid_json", "duplicate_member", "lone_surrogate", "invalid_utf8", "unsafe_number"];

    private static readonly byte[] Interesting = "\"\\{}[],:.-+eE0123456789tfnu\u00e9"u8.ToArray().Concat(new byte[] { 0x00, 0x1f, 0x7f, 0x80, 0xc0, 0xed, 0xef, 0xf0, 0xf4, 0xff }).ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Mutated_documents_never_throw_and_accepted_output_is_canonical(int seed)
    {
        var random = new Random(seed);
        var corpus = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Json", "Data", "document-corpus-input.json"));
        var bases = Directory.GetFiles(Support.SharedFiles.Path("vectors", "jcs", "cyberphone", "input")).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
        var options = new CanonicalJsonOptions { MaxDepth = 20 };
        var accepted = 0;
        for (var round = 0; round < 1500; round++)
        {
            // A complete small document, or a random slice of the large one (rarely a complete value); then mutations.
            List<byte> document;
            if (random.Next(2) == 0)
            {
                document = [.. bases[random.Next(bases.Length)]];
            }
            else
            {
                var start = random.Next(corpus.Length - 64);
                document = [.. corpus.AsSpan(start, random.Next(1, Math.Min(4096, corpus.Length - start)))];
            }

            for (var m = random.Next(0, 4); m > 0 && document.Count > 0; m--)
            {
                var at = random.Next(document.Count);
                switch (random.Next(3))
                {
                    case 0: document[at] = Interesting[random.Next(Interesting.Length)]; break;
                    case 1: document.Insert(at, Interesting[random.Next(Interesting.Length)]); break;
                    default: document.RemoveAt(at); break;
                }
            }

            var input = document.ToArray();
            if (JsonCanonicalizer.TryCanonicalize(input, options, out var canonical, out var error))
            {
                accepted++;
                Assert.True(JsonCanonicalizer.TryCanonicalize(canonical, options, out var again, out _));
                Assert.Equal(canonical, again);
            }
            else
            {
                Assert.Contains(error!.Reason, Reasons);
                Assert.Equal(error.Reason is "too_large" or "too_deep" ? McpsCode.InputLimitExceeded : McpsCode.NonCanonicalInput, error.Code);
                Assert.InRange(error.Offset, 0, input.Length);
            }
        }

        Assert.InRange(accepted, 1, 1499); // both outcomes were exercised
    }
}
