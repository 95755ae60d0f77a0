using System.Text.Json.Nodes;
using AgentTrust.Json;
using AgentTrust.Mcps.Envelopes;

namespace AgentTrust.Tests.Mcps;

/// <summary>The canonical splice that cuts the body equals JCS of the body built by removing members from the object.</summary>
public class McpsPreimageTests
{
    [Theory]
    [InlineData("""{"mcps":{"a":1},"jsonrpc":"2.0","id":1,"method":"m"}""", EnvelopePlacement.TopLevel)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"m","zz":1,"mcps":{"a":1}}""", EnvelopePlacement.TopLevel)]
    [InlineData("""{"mcps":{"a":1}}""", EnvelopePlacement.TopLevel)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"m","params":{"mcps":{"x":1},"_meta":{"io.agenttrust/mcps":{"a":1}}}}""", EnvelopePlacement.Meta)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"m","params":{"_meta":{"a":1,"io.agenttrust/mcps":{"a":1},"\uffff":2,"\ud83d\ude00":3}}}""", EnvelopePlacement.Meta)]
    [InlineData("""{"jsonrpc":"2.0","method":"m","params":{"_meta":{"io.agenttrust/mcps":{"a":"}"}}}}""", EnvelopePlacement.Meta)]
    [InlineData("""{"jsonrpc":"2.0","method":"m","params":{"_meta":{}}}""", EnvelopePlacement.Meta)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"result":{"_meta":{"io.agenttrust/mcps":{}},"content":[]}}""", EnvelopePlacement.Meta)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"x","data":{"_meta":{"io.agenttrust/mcps":{},"k":"\"_meta\":{}"}}}}""", EnvelopePlacement.Meta)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"x","data":"text"},"mcps":{}}""", EnvelopePlacement.TopLevel)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"m","params":[1,{"_meta":{"io.agenttrust/mcps":1}}]}""", EnvelopePlacement.Meta)]
    public void Splice_equals_removal_on_the_object(string json, EnvelopePlacement placement)
    {
        // The signer and verifier hash the body in a pooled buffer (MessageHashOfCanonicalMessage); the gateway's reply-to
        // hash and the vectors use the kept body (BodyFromCanonicalMessage): the two must always cut the same body.
        var canonical = JsonCanonicalizer.Canonicalize(JsonNode.Parse(json), CanonicalJsonOptions.Strict);
        var kind = JsonRpcMessageKinds.Classify(JsonNode.Parse(json)!.AsObject());
        Assert.Equal(
            McpsPreimage.MessageHash(McpsPreimage.BodyFromCanonicalMessage(canonical, placement, kind)),
            McpsPreimage.MessageHashOfCanonicalMessage(canonical, placement, kind));

        var message = JsonNode.Parse(json)!.AsObject();
        var expected = (JsonObject)message.DeepClone();
        if (placement == EnvelopePlacement.TopLevel)
        {
            expected.Remove("mcps");
        }
        else
        {
            var parent = JsonRpcMessageKinds.Classify(expected) switch
            {
                JsonRpcMessageKind.Result => expected["result"] as JsonObject,
                JsonRpcMessageKind.Error => expected["error"]!["data"] as JsonObject,
                _ => expected["params"] as JsonObject,
            };
            if (parent?["_meta"] is JsonObject meta)
            {
                meta.Remove("io.agenttrust/mcps");
                if (meta.Count == 0)
                {
                    parent.Remove("_meta");
                }
            }
        }

        Assert.Equal(
            System.Text.Encoding.UTF8.GetString(JsonCanonicalizer.Canonicalize(expected, CanonicalJsonOptions.Strict)),
            System.Text.Encoding.UTF8.GetString(McpsPreimage.CanonicalBody(message, placement)));
    }
}
