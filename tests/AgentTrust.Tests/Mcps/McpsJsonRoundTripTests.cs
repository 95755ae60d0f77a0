using System.Text.Json.Nodes;
using AgentTrust.Json;
using AgentTrust.Mcps;

namespace AgentTrust.Tests.Mcps;

/// <summary>
/// The verifier takes an embedded passport's canonical text as its JSON when the text is printable ASCII without a
/// backslash, because re-serialising such text gives the same bytes. That holds only while the serialiser escapes none
/// of those characters: this pins it (a default encoder would write '+' as \u002B, and base64 is full of '+').
/// </summary>
public class McpsJsonRoundTripTests
{
    [Theory]
    [InlineData("""{"a":"<tag> & 'quote' +plus/slash `tick` ~"}""")]
    [InlineData("""{"sig":"ab+cd/ef==","n":1e+21,"m":-0.5,"z":[true,false,null]}""")]
    [InlineData("""{"k":{"nested":{"deep":"x=y;z?w#v%u@t!s$r^q*p(o)n"}}}""")]
    public void Printable_ascii_canonical_text_serialises_back_to_the_same_bytes(string json)
    {
        var canonical = JsonCanonicalizer.Canonicalize(JsonNode.Parse(json), CanonicalJsonOptions.Strict);
        Assert.Equal(
            System.Text.Encoding.UTF8.GetString(canonical),
            System.Text.Encoding.UTF8.GetString(McpsJson.Serialize(JsonNode.Parse(canonical)!)));
    }
}
