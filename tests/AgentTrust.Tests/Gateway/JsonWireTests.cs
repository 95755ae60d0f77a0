using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Gateway.Messages;

namespace AgentTrust.Tests.Gateway;

public sealed class JsonWireTests
{
    // What the gateway wrote before it serialised through the serializer's pooled writer: the same bytes are expected.
    private static byte[] WrittenByUtf8JsonWriter(JsonNode node)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            node.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"e","arguments":{"q":"<a href='x'>&amp; +1 \u00e9 \ud83d\ude00 \u2028 \u0001 \"\\"}}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":"x","result":{"n":[1e400,-0.0,1.50,12345678901234567890],"b":true,"z":null}}""")]
    public void Messages_are_written_exactly_as_a_Utf8JsonWriter_with_the_relaxed_encoder_writes_them(string json)
    {
        var node = JsonNode.Parse(json)!;
        Assert.Equal(WrittenByUtf8JsonWriter(node), JsonWire.Serialize(node));
        node["added"] = new JsonObject { ["s"] = "<\u00fc>" };
        Assert.Equal(WrittenByUtf8JsonWriter(node), JsonWire.Serialize(node));
    }

    [Fact]
    public void Nesting_up_to_the_largest_configurable_depth_is_written()
    {
        // MessageLimits allow depth up to 1000; the serializer's own default (64) must not apply.
        JsonNode node = new JsonArray();
        for (var i = 0; i < 999; i++)
        {
            node = new JsonArray(node);
        }

        Assert.Equal(WrittenByUtf8JsonWriter(node), JsonWire.Serialize(node));
    }
}
