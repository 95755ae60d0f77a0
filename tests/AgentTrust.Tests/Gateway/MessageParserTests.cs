using AgentTrust.Gateway.Messages;

namespace AgentTrust.Tests.Gateway;

public sealed class MessageParserTests
{
    private static ParseOutcome Parse(string text, MessageLimits? limits = null) => MessageParser.Parse(System.Text.Encoding.UTF8.GetBytes(text), limits ?? MessageLimits.Default);

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"ping"}""", MessageKind.Request)]
    [InlineData("""{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{}}""", MessageKind.Request)]
    [InlineData("""{"jsonrpc":"2.0","method":"notifications/initialized"}""", MessageKind.Notification)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"result":{}}""", MessageKind.Response)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"error":{"code":-1,"message":"x"}}""", MessageKind.Error)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"\ud83d\ude00 \u00e9\n"}}""", MessageKind.Request)]
    public void JsonRpcMessages_AreClassified(string text, MessageKind kind)
    {
        var outcome = Parse(text);

        Assert.Null(outcome.Rejection);
        Assert.Equal(kind, outcome.Message!.Kind);
    }

    [Theory]
    [InlineData("not json", -32700, "parse_error")]
    [InlineData("""{"jsonrpc":"2.0","id":1""", -32700, "parse_error")]
    [InlineData("""[{"jsonrpc":"2.0","id":1,"method":"ping"}]""", -32600, "batch")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}""", -33017, "duplicate_member")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"x","params":{"a":1,"a":2}}""", -33017, "duplicate_member")]
    [InlineData("""{"id":1,"method":"ping"}""", -32600, "not_jsonrpc")]
    [InlineData("""{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}""", -32600, "bad_id")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":5}""", -32600, "bad_method")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":"x"}}""", -32600, "not_jsonrpc")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"error":"x"}""", -32600, "bad_error")]
    [InlineData("""{"jsonrpc":"2.0","result":{}}""", -32600, "not_jsonrpc")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"\ud800"}}""", -32600, "lone_surrogate")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"e","arguments":{"region":"x\uDFFFy"}}}""", -32600, "lone_surrogate")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"ping","params":{"\ud83d":1}}""", -32600, "lone_surrogate")]
    public void InvalidInput_IsRejectedWithTheRightCode(string text, int code, string reason)
    {
        var outcome = Parse(text);

        Assert.Null(outcome.Message);
        Assert.Equal(code, outcome.Rejection!.JsonRpcCode);
        Assert.Equal(reason, outcome.Rejection.Reason);
    }

    [Fact]
    public void OversizedInput_IsRejectedBeforeParsing()
    {
        var outcome = Parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + new string('x', 200) + "\"}", new MessageLimits { MaxMessageBytes = 100 });

        Assert.Equal("MCPS-016", outcome.Rejection!.ToErrorObject()["data"]!["mcps_code"]!.GetValue<string>());
        Assert.Equal("too_large", outcome.Rejection.Reason);
    }

    [Fact]
    public void TooDeepInput_IsRejectedAsTooDeep()
    {
        var deep = string.Concat(Enumerable.Repeat("[", 70)) + string.Concat(Enumerable.Repeat("]", 70));
        var outcome = Parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":{\"a\":" + deep + "}}");

        Assert.Equal(-33016, outcome.Rejection!.JsonRpcCode);
        Assert.Equal("too_deep", outcome.Rejection.Reason);
    }

    [Fact]
    public void UnchangedMessage_IsForwardedByteForByte()
    {
        const string text = """{ "jsonrpc" : "2.0", "id":1, "method":"x", "params":{"n":1.0,"s":"é<"} }""";
        var message = Parse(text).Message!;

        Assert.Equal(text, System.Text.Encoding.UTF8.GetString(message.GetBytes().Span));
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"x","params":[""", "7")]
    [InlineData("""{"jsonrpc":"2.0","id":"a","id":"b","method":"x"}""", null)]
    [InlineData("""{"jsonrpc":"2.0","params":{"id":9},"method":"x"}""", null)]
    public void IdOfAnUnreadableRequest_IsRecoveredOnlyWhenUnambiguous(string text, string? id)
    {
        Assert.Equal(id, MessageParser.TryExtractId(System.Text.Encoding.UTF8.GetBytes(text))?.ToJsonString());
    }
}
