using System.Text.Json.Nodes;
using AgentTrust.Gateway.Http;
using AgentTrust.Gateway.Messages;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace AgentTrust.Tests.Gateway;

public sealed class ParameterHeadersTests
{
    private static JsonObject Tool(string properties) =>
        new() { ["name"] = "t", ["inputSchema"] = new JsonObject { ["type"] = "object", ["properties"] = JsonNode.Parse(properties) } };

    private static RelayMessage Call(string arguments)
    {
        var json = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "tools/call", ["params"] = new JsonObject { ["name"] = "t", ["arguments"] = JsonNode.Parse(arguments) } };
        return new RelayMessage(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()), json, MessageKind.Request);
    }

    private static readonly IReadOnlyDictionary<string, string[]> Marks = ParameterHeaders.Marks(Tool(
        """
        {"region":{"type":"string","x-mcp-header":"Region"},"limit":{"type":"integer","x-mcp-header":"Limit"},"dry":{"type":"boolean","x-mcp-header":"Dry-Run"},
         "query":{"type":"string"},"target":{"type":"object","properties":{"tenant":{"type":"string","x-mcp-header":"Tenant"}}}}
        """));

    [Fact]
    public void Marks_MapHeaderNamesToArgumentPaths_WithoutRegardToCase_AtAnyDepth()
    {
        Assert.Equal(4, Marks.Count);
        Assert.Equal(["region"], Marks["REGION"]);
        Assert.Equal(["limit"], Marks["limit"]);
        Assert.Equal(["dry"], Marks["Dry-Run"]);
        Assert.Equal(["target", "tenant"], Marks["Tenant"]);
    }

    [Theory]
    [InlineData("""{"a":{"type":"object","x-mcp-header":"A"}}""")]
    [InlineData("""{"a":{"type":"array","x-mcp-header":"A"}}""")]
    [InlineData("""{"a":{"x-mcp-header":"A"}}""")]
    [InlineData("""{"a":{"type":"string","x-mcp-header":"Has Space"}}""")]
    [InlineData("""{"a":{"type":"string","x-mcp-header":"Colon:"}}""")]
    [InlineData("""{"a":{"type":"string","x-mcp-header":"Région"}}""")]
    [InlineData("""{"a":{"type":"string","x-mcp-header":""}}""")]
    [InlineData("""{"a":{"type":"string","x-mcp-header":7}}""")]
    [InlineData("""{"a":{"type":"string","x-mcp-header":"Same"},"b":{"type":"string","x-mcp-header":"SAME"}}""")]
    public void Marks_ThatBreakTheRules_AreLeftOut(string properties)
    {
        Assert.Empty(ParameterHeaders.Marks(Tool(properties)));
    }

    [Theory]
    [InlineData("Mcp-Param-Region", "us-west1")]
    [InlineData("mcp-param-region", "=?base64?dXMtd2VzdDE=?=")]
    [InlineData("Mcp-Param-Limit", "1000")]
    [InlineData("Mcp-Param-Limit", "1e3")]
    [InlineData("Mcp-Param-Limit", "1000.0")]
    [InlineData("Mcp-Param-Dry-Run", "true")]
    [InlineData("Mcp-Param-Tenant", "acme")]
    [InlineData("Other-Header", "anything")]
    public void HeadersThatSayWhatTheBodySays_AreConsistent(string name, string value)
    {
        var headers = new HeaderDictionary { [name] = value };

        Assert.True(ParameterHeaders.AreConsistent(headers, Call("""{"region":"us-west1","limit":1000,"dry":true,"target":{"tenant":"acme"}}"""), Marks, required: false));
    }

    [Theory]
    [InlineData("Mcp-Param-Region", "eu-west1")]
    [InlineData("Mcp-Param-Region", "US-WEST1")]
    [InlineData("Mcp-Param-Region", "=?base64?not base64?=")]
    [InlineData("Mcp-Param-Limit", "1001")]
    [InlineData("Mcp-Param-Limit", "0x3E8")]
    [InlineData("Mcp-Param-Limit", "NaN")]
    [InlineData("Mcp-Param-Limit", "Infinity")]
    [InlineData("Mcp-Param-Limit", "+1000")]
    [InlineData("Mcp-Param-Limit", "1000.0000000000000001")]
    [InlineData("Mcp-Param-Limit", "1e999")]
    [InlineData("Mcp-Param-Tenant", "other")]
    [InlineData("Mcp-Param-Dry-Run", "True")]
    [InlineData("Mcp-Param-Query", "SELECT 1")]
    [InlineData("Mcp-Param-", "x")]
    public void HeadersThatDoNot_AreInconsistent(string name, string value)
    {
        var headers = new HeaderDictionary { [name] = value };

        Assert.False(ParameterHeaders.AreConsistent(headers, Call("""{"region":"us-west1","limit":1000,"dry":true,"query":"SELECT 1","target":{"tenant":"acme"}}"""), Marks, required: false));
    }

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"region":null}""")]
    [InlineData("""{"region":["us-west1"]}""")]
    public void AHeaderForAnArgumentTheBodyDoesNotHaveAsAPrimitive_IsInconsistent(string arguments)
    {
        var headers = new HeaderDictionary { ["Mcp-Param-Region"] = "us-west1" };

        Assert.False(ParameterHeaders.AreConsistent(headers, Call(arguments), Marks, required: false));
    }

    [Fact]
    public void AHeaderGivenTwice_IsInconsistent_EvenWithTheRightValueTwice()
    {
        var headers = new HeaderDictionary { ["Mcp-Param-Region"] = new StringValues(["us-west1", "us-west1"]) };

        Assert.False(ParameterHeaders.AreConsistent(headers, Call("""{"region":"us-west1"}"""), Marks, required: false));
    }

    [Theory]
    [InlineData("9007199254740993", "9007199254740992")]
    [InlineData("1e400", "Infinity")]
    [InlineData("1e400", "1e999")]
    [InlineData("0.1000000000000000055511151231257827", "0.1")]
    public void NumbersAreComparedExactly_NeverThroughADouble(string body, string header)
    {
        var headers = new HeaderDictionary { ["Mcp-Param-Limit"] = header };

        Assert.False(ParameterHeaders.AreConsistent(headers, Call("{\"limit\":" + body + "}"), Marks, required: false));
    }

    [Fact]
    public void OnTheStatelessGeneration_AMarkedArgumentWithoutItsHeader_IsInconsistent()
    {
        var message = Call("""{"region":"us-west1","target":{"tenant":"acme"}}""");
        var both = new HeaderDictionary { ["Mcp-Param-Region"] = "us-west1", ["Mcp-Param-Tenant"] = "acme" };
        var one = new HeaderDictionary { ["Mcp-Param-Region"] = "us-west1" };

        Assert.True(ParameterHeaders.AreConsistent(both, message, Marks, required: true));
        Assert.False(ParameterHeaders.AreConsistent(one, message, Marks, required: true));
        Assert.True(ParameterHeaders.AreConsistent(one, message, Marks, required: false));
    }

    [Theory]
    [InlineData("=?base64?dXMt d2VzdDE=?=")]
    [InlineData("=?base64?dXMtd2VzdDF=?=")]
    public void NonCanonicalBase64_IsRefused(string header)
    {
        // .NET's decoder skips the space and ignores the leftover bits of "F=" (reading "us-west1" both times); a strict
        // decoder in front of the gateway would refuse both, so the two would not be reading the same value.
        var headers = new HeaderDictionary { ["Mcp-Param-Region"] = header };

        Assert.False(ParameterHeaders.AreConsistent(headers, Call("""{"region":"us-west1"}"""), Marks, required: false));
    }

    [Theory]
    [InlineData("2026-07-28", null, true)]
    [InlineData(null, "2026-07-28", true)]
    [InlineData("2026-07-28", "2026-07-28", true)]
    [InlineData("2025-11-25", null, false)]
    [InlineData(null, "2025-06-18", false)]
    [InlineData(null, null, false)]
    public void TheStatelessGeneration_IsKnownFromTheVersionHeaderOrFromMeta(string? header, string? meta, bool stateless)
    {
        var json = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "tools/call", ["params"] = new JsonObject { ["name"] = "t" } };
        if (meta is not null)
        {
            json["params"]!["_meta"] = new JsonObject { ["io.modelcontextprotocol/protocolVersion"] = meta };
        }

        var message = new RelayMessage(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()), json, MessageKind.Request);

        Assert.Equal(stateless, RoutingHeaders.IsStatelessRequest(header is null ? StringValues.Empty : new StringValues(header), message));
    }

    [Fact]
    public void ANumberWhoseTextIsTooLongForAHeader_MayBeLeftOut_AsTheClientWroteIt()
    {
        // Plain decimal would be short enough, but the client may write the body's own 8 200-character text.
        var message = Call("{\"limit\":1" + new string('0', 8200) + "e-8200}");

        Assert.True(ParameterHeaders.AreConsistent(new HeaderDictionary(), message, Marks, required: true));
    }

    [Fact]
    public void AValueTooLongForAHeader_MayBeLeftOut()
    {
        var message = Call(new JsonObject { ["region"] = new string('a', 8193) }.ToJsonString());

        Assert.True(ParameterHeaders.AreConsistent(new HeaderDictionary(), message, Marks, required: true));
    }

    [Fact]
    public void Apply_ReplacesTheClientsHeadersWithThoseOfTheBody()
    {
        using var upstream = new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1/mcp");
        upstream.Headers.TryAddWithoutValidation("Mcp-Param-Region", "eu-west1");
        upstream.Headers.TryAddWithoutValidation("mcp-param-stale", "x");

        ParameterHeaders.Apply(upstream, Call("""{"region":" padded ","limit":5E+2,"dry":false,"query":"q","target":{"tenant":"acme"}}"""), Marks);

        var sent = upstream.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        Assert.Equal(4, sent.Count);
        Assert.Equal("=?base64?IHBhZGRlZCA=?=", sent["Mcp-Param-Region"]);
        Assert.Equal("500", sent["Mcp-Param-Limit"]);
        Assert.Equal("acme", sent["Mcp-Param-Tenant"]);
        Assert.Equal("false", sent["Mcp-Param-Dry-Run"]);
    }

    [Fact]
    public void Apply_OmitsAValueLongerThan8192Characters()
    {
        using var upstream = new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1/mcp");

        ParameterHeaders.Apply(upstream, Call(new JsonObject { ["region"] = new string('a', 8193), ["limit"] = 5 }.ToJsonString()), Marks);

        Assert.False(upstream.Headers.Contains("Mcp-Param-Region"));
        Assert.True(upstream.Headers.Contains("Mcp-Param-Limit"));
    }
}
