using System.Text.Json.Nodes;
using AgentTrust.Tests.Gateway.Support;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// The stdio relay against a real TypeScript-SDK server, driven line by line: everything unreadable is answered (never
/// dropped silently) and never reaches the server; order is preserved; stderr passes through.
/// </summary>
public sealed class StdioFramingTests
{
    private static RawGatewayProcess StartGateway(ScratchDirectory scratch, params string[] gatewayArgs) =>
        new(["--no-pins", .. gatewayArgs], ["node", GatewayPeers.RecordingServer], new Dictionary<string, string> { ["RECEIVED_LOG"] = scratch.File("received.jsonl") });

    [Theory]
    [InlineData("garbage", -32700, "parse_error")]
    [InlineData("""[{"jsonrpc":"2.0","id":7,"method":"ping"}]""", -32600, "batch")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"ping""", -32700, "parse_error")]
    [InlineData("""{"jsonrpc":"1.0","id":7,"method":"ping"}""", -32600, "not_jsonrpc")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"id":8,"method":"ping"}""", -33017, "duplicate_member")]
    [InlineData("42", -32700, "parse_error")]
    // One JSON object for the gateway, three lines for a server that splits on CR (Python's universal newlines):
    // the middle one an unchecked tools/call.
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\",\"params\":{\"p\":\r{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{}}}\r}}", -32600, "carriage_return")]
    public async Task UnreadableClientLine_IsAnsweredWithAnError_AndNeverReachesTheServer(string line, int code, string reason)
    {
        using var scratch = new ScratchDirectory();
        await using var gateway = StartGateway(scratch);
        await gateway.InitializeAsync();

        await gateway.SendAsync(line);
        var answer = await gateway.ReceiveAsync();
        await gateway.SendAsync("""{"jsonrpc":"2.0","id":"after","method":"ping"}""");
        var after = await gateway.ReceiveResponseAsync("after");

        Assert.Equal(code, answer["error"]!["code"]!.GetValue<int>());
        Assert.Equal(reason, answer["error"]!["data"]!["reason"]!.GetValue<string>());
        Assert.True(after.ContainsKey("result"));
        Assert.Equal(["initialize", "notifications/initialized", "ping"], RecordedMessages.Methods(scratch.File("received.jsonl")));
    }

    [Fact]
    public async Task ServerStderrRelayedWhileTheGatewayLogsRefusals_NeverStopsTheRelay()
    {
        // Both go to the gateway's stderr, the server's lines asynchronously and the warnings from the pump threads.
        using var scratch = new ScratchDirectory();
        await using var gateway = new RawGatewayProcess(["--no-pins"], ["node", GatewayPeers.RecordingServer],
            new Dictionary<string, string> { ["RECEIVED_LOG"] = scratch.File("received.jsonl"), ["STDERR_NOISE"] = "1" });
        await gateway.InitializeAsync();

        for (var i = 0; i < 300; i++)
        {
            await gateway.SendAsync("garbage");
            Assert.Equal("parse_error", (await gateway.ReceiveAsync())["error"]!["data"]!["reason"]!.GetValue<string>());
        }

        await gateway.SendAsync("""{"jsonrpc":"2.0","id":"after","method":"ping"}""");
        Assert.True((await gateway.ReceiveResponseAsync("after")).ContainsKey("result"));
    }

    [Fact]
    public async Task OversizedLine_IsRefusedWithMcps016_BeforeParsing()
    {
        using var scratch = new ScratchDirectory();
        await using var gateway = StartGateway(scratch, "--max-message-bytes", "4096");
        await gateway.InitializeAsync();

        await gateway.SendAsync("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"" + new string('x', 10_000) + "\"}}}");
        var answer = await gateway.ReceiveAsync();

        Assert.Equal(-33016, answer["error"]!["code"]!.GetValue<int>());
        Assert.Equal("MCPS-016", answer["error"]!["data"]!["mcps_code"]!.GetValue<string>());
        Assert.Equal("too_large", answer["error"]!["data"]!["reason"]!.GetValue<string>());
        Assert.Empty(RecordedMessages.ToolCalls(scratch.File("received.jsonl")));
    }

    [Fact]
    public async Task TooDeepMessage_IsRefusedWithMcps016()
    {
        using var scratch = new ScratchDirectory();
        await using var gateway = StartGateway(scratch);
        await gateway.InitializeAsync();

        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 100)) + "1" + new string('}', 100);
        await gateway.SendAsync("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":" + deep + "}}}");
        var answer = await gateway.ReceiveAsync();

        Assert.Equal(-33016, answer["error"]!["code"]!.GetValue<int>());
        Assert.Equal("too_deep", answer["error"]!["data"]!["reason"]!.GetValue<string>());
        Assert.Equal(3, answer["id"]!.GetValue<int>());
        Assert.Empty(RecordedMessages.ToolCalls(scratch.File("received.jsonl")));
    }

    [Fact]
    public async Task ManyRequests_AreAnsweredInOrder_AndReachTheServerInOrder()
    {
        using var scratch = new ScratchDirectory();
        await using var gateway = StartGateway(scratch);
        await gateway.InitializeAsync();

        for (var i = 1; i <= 50; i++)
        {
            await gateway.SendAsync("{\"jsonrpc\":\"2.0\",\"id\":" + i + ",\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"n\"}}}");
        }

        var ids = new List<int>();
        while (ids.Count < 50)
        {
            var message = await gateway.ReceiveAsync();
            if (message["id"] is JsonValue id)
            {
                ids.Add(id.GetValue<int>());
            }
        }

        Assert.Equal(Enumerable.Range(1, 50), ids);
        Assert.Equal(Enumerable.Range(1, 50).Select(i => "echo"), RecordedMessages.ToolCalls(scratch.File("received.jsonl")));
    }

    [Fact]
    public async Task ServerStandardError_PassesThrough()
    {
        using var scratch = new ScratchDirectory();
        await using var gateway = StartGateway(scratch);
        await gateway.InitializeAsync();
        gateway.CloseInput();
        await gateway.WaitForExitAsync(TimeSpan.FromSeconds(20));

        Assert.Contains("recording-server: ready", gateway.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerExit_EndsTheGateway_WithTheServersExitCode()
    {
        using var scratch = new ScratchDirectory();
        await using var gateway = StartGateway(scratch);
        await gateway.InitializeAsync();

        await gateway.SendAsync("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"exit","arguments":{"code":7}}}""");
        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(7, exitCode);
    }

    [Fact]
    public async Task ClientEof_ClosesTheServersInput_AndTheGatewayExitsWithTheServer()
    {
        using var scratch = new ScratchDirectory();
        await using var gateway = StartGateway(scratch);
        await gateway.InitializeAsync();

        gateway.CloseInput();
        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(0, exitCode);
    }

    [Fact]
    public async Task ClientEof_KillsAServerThatIgnoresIt_AfterTheShutdownTimeout()
    {
        using var scratch = new ScratchDirectory();
        await using var gateway = new RawGatewayProcess(["--no-pins", "--shutdown-timeout", "0.5"], ["node", GatewayPeers.RecordingServer],
            new Dictionary<string, string> { ["RECEIVED_LOG"] = scratch.File("received.jsonl"), ["IGNORE_EOF"] = "1" });
        await gateway.InitializeAsync();

        gateway.CloseInput();
        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(20));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("stdin closed, staying alive", gateway.StandardError, StringComparison.Ordinal);
        Assert.Contains("killed", gateway.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientEof_EndsTheGateway_EvenWhenAGrandchildKeepsTheServersOutputOpen()
    {
        // The server leaves a process behind that holds its stdout and stderr: they never reach end of stream.
        using var scratch = new ScratchDirectory();
        var server = "(sleep 20 &); exec node \"" + GatewayPeers.RecordingServer + "\"";
        await using var gateway = new RawGatewayProcess(["--no-pins", "--shutdown-timeout", "0.5"], ["sh", "-c", server],
            new Dictionary<string, string> { ["RECEIVED_LOG"] = scratch.File("received.jsonl") });
        await gateway.InitializeAsync();

        gateway.CloseInput();
        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(0, exitCode);
    }
}
