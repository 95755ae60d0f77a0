using System.Text.Json.Nodes;
using AgentTrust.Json;
using AgentTrust.Json.Canonical;

namespace AgentTrust.Tests.Json;

/// <summary>The canonicaliser's shortcut for a node whose canonical bytes are known: same bytes, same depth bound.</summary>
public class JcsKnownCanonicalTests
{
    [Fact]
    public void Known_bytes_are_written_where_the_node_occurs_and_equal_the_walk()
    {
        var inner = JsonNode.Parse("""{"z":[1,{"b":true,"a":"\u00e9"}],"y":1e2}""")!;
        var known = KnownCanonical.Of(inner, CanonicalJsonOptions.Strict);
        var message = new JsonObject { ["m"] = new JsonObject { ["k"] = inner }, ["a"] = 1 };
        Assert.Equal(JsonCanonicalizer.Canonicalize(message, CanonicalJsonOptions.Strict), JsonCanonicalizer.Canonicalize(message, CanonicalJsonOptions.Strict, known));
        Assert.Equal(2, known.NestedDepth);
    }

    [Theory]
    [InlineData(5, true)]
    [InlineData(4, false)]
    public void The_depth_bound_applies_inside_the_known_node(int maxDepth, bool accepted)
    {
        // root (0) > m (1) > k (2) holds an object with an array inside (2 more levels): the deepest container is at 4.
        var options = CanonicalJsonOptions.Strict with { MaxDepth = maxDepth };
        var inner = JsonNode.Parse("""{"z":[1,{"b":true}]}""")!;
        var known = KnownCanonical.Of(JsonNode.Parse("""{"z":[1,{"b":true}]}""")!, CanonicalJsonOptions.Strict).For(inner);
        var message = new JsonObject { ["m"] = new JsonObject { ["k"] = inner } };
        var walked = Record.Exception(() => JsonCanonicalizer.Canonicalize(message, options));
        var shortcut = Record.Exception(() => JsonCanonicalizer.Canonicalize(message, options, known));
        Assert.Equal(accepted, walked is null);
        Assert.Equal(accepted, shortcut is null);
        if (!accepted)
        {
            Assert.Equal("too_deep", Assert.IsType<CanonicalJsonException>(shortcut).Error.Reason);
        }
    }
}
