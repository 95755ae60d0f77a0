using System.Text.Json.Nodes;
using AgentTrust.Gateway.Messages;
using AgentTrust.Gateway.Pipeline;

namespace AgentTrust.Tests.Gateway;

public sealed class RelayPipelineTests
{
    private static byte[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    private static JsonObject Json(ReadOnlyMemory<byte>? bytes) => (JsonObject)JsonNode.Parse(bytes!.Value.Span)!;

    [Fact]
    public async Task Stages_RunInListOrderForClientMessages_AndInReverseForServerMessages()
    {
        var trace = new List<string>();
        var pipeline = new RelayPipeline([new TracingStage("a", trace), new TracingStage("b", trace)]);

        await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":1,"method":"ping"}"""), RelayDirection.ClientToServer);
        await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":1,"result":{}}"""), RelayDirection.ServerToClient);

        Assert.Equal(["a:client", "b:client", "b:server", "a:server"], trace);
    }

    [Fact]
    public async Task RefusedRequest_IsAnsweredToItsSender_WithTheMcpsErrorBody_AndNotForwarded()
    {
        var pipeline = new RelayPipeline([new RejectingStage()]);

        var outcome = await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":"r1","method":"tools/call","params":{"name":"x"}}"""), RelayDirection.ClientToServer);

        Assert.Null(outcome.ToRecipient);
        var error = Json(outcome.ToSender);
        Assert.Equal("r1", error["id"]!.GetValue<string>());
        Assert.Equal(-33009, error["error"]!["code"]!.GetValue<int>());
        Assert.Equal("Insufficient trust level", error["error"]!["message"]!.GetValue<string>());
        Assert.Equal("MCPS-009", error["error"]!["data"]!["mcps_code"]!.GetValue<string>());
        Assert.Equal("insufficient_trust", error["error"]!["data"]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task RefusedResponse_IsReplacedByAnErrorForTheWaitingClient()
    {
        var pipeline = new RelayPipeline([new RejectingStage()]);

        var outcome = await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":4,"result":{}}"""), RelayDirection.ServerToClient);

        Assert.Null(outcome.ToSender);
        Assert.Equal(4, Json(outcome.ToRecipient)["id"]!.GetValue<int>());
    }

    [Fact]
    public async Task RefusedNotification_IsDropped_WithoutAnAnswer()
    {
        var pipeline = new RelayPipeline([new RejectingStage()]);

        var outcome = await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","method":"notifications/progress"}"""), RelayDirection.ClientToServer);

        Assert.Null(outcome.ToRecipient);
        Assert.Null(outcome.ToSender);
        Assert.NotNull(outcome.Rejection);
    }

    [Fact]
    public async Task FailingStage_RefusesTheMessage_FailClosed()
    {
        var pipeline = new RelayPipeline([new ThrowingStage()]);

        var outcome = await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":1,"method":"ping"}"""), RelayDirection.ClientToServer);

        Assert.Null(outcome.ToRecipient);
        Assert.Equal(-33025, Json(outcome.ToSender)["error"]!["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task Answers_AreCorrelatedWithTheirRequest_PerDirection()
    {
        var seen = new List<string?>();
        var pipeline = new RelayPipeline([new RequestCapturingStage(seen)]);

        await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}"""), RelayDirection.ClientToServer);
        await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":1,"method":"roots/list"}"""), RelayDirection.ServerToClient);
        await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":1,"result":{}}"""), RelayDirection.ClientToServer);
        await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":1,"result":{}}"""), RelayDirection.ServerToClient);
        var unmatched = await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":1,"result":{}}"""), RelayDirection.ServerToClient);

        // The second server answer matches nothing any more: refused before any stage sees it.
        Assert.Equal(["roots/list", "tools/list"], seen);
        Assert.Equal("unmatched_response", unmatched.Rejection?.Reason);
        Assert.Equal((0, 0), pipeline.PendingRequests);
    }

    [Fact]
    public async Task AnswerFromTheServer_ThatMatchesNoPendingRequest_IsNotForwarded()
    {
        // The client asked with id 1; a server answering id "1" (which the TypeScript SDK would still match) would skip
        // every check that looks at the request: pins of tools/list, receipts, the reply binding.
        var pipeline = new RelayPipeline([]);
        await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}"""), RelayDirection.ClientToServer);

        var outcome = await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":"1","result":{"tools":[{"name":"x","inputSchema":{}}]}}"""), RelayDirection.ServerToClient);

        Assert.Equal("unmatched_response", outcome.Rejection?.Reason);
        Assert.False(Json(outcome.ToRecipient).ContainsKey("result"));

        var matched = await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}"""), RelayDirection.ServerToClient);
        Assert.Null(matched.Rejection);
        Assert.True(Json(matched.ToRecipient).ContainsKey("result"));
    }

    [Fact]
    public async Task RequestReusingAPendingId_IsRefused_AndTheFirstKeepsItsAnswer()
    {
        var trace = new List<string>();
        var pipeline = new RelayPipeline([new TracingStage("s", trace)]);
        var first = await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"pay"}}"""), RelayDirection.ClientToServer);
        Assert.NotNull(first.ToRecipient);

        var second = await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":1,"method":"ping"}"""), RelayDirection.ClientToServer);

        Assert.Null(second.ToRecipient);
        Assert.Equal("duplicate_id", Json(second.ToSender)["error"]!["data"]!["reason"]!.GetValue<string>());
        Assert.Equal(["s:client"], trace);

        var answer = await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":1,"result":{}}"""), RelayDirection.ServerToClient);
        Assert.Null(answer.Rejection);
    }

    [Fact]
    public async Task WorkAStageStarted_IsAwaitedBeforeTheMessageLeaves()
    {
        var durable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var trace = new List<string>();
        var pipeline = new RelayPipeline([new DeferringStage(durable.Task), new TracingStage("later", trace)]);

        var processing = pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":1,"method":"ping"}"""), RelayDirection.ClientToServer).AsTask();

        // The later stage ran while the work was still pending, but nothing was released.
        Assert.Equal(["later:client"], trace);
        Assert.False(processing.IsCompleted);
        durable.SetResult();
        var outcome = await processing;
        Assert.Null(outcome.Rejection);
        Assert.Equal(1, Json(outcome.ToRecipient)["id"]!.GetValue<int>());
    }

    [Fact]
    public async Task WorkAStageStarted_ThatFails_RefusesTheRequest_FailClosed()
    {
        var pipeline = new RelayPipeline([new DeferringStage(Task.FromException(new IOException("disk full")))]);

        var outcome = await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":1,"method":"ping"}"""), RelayDirection.ClientToServer);

        Assert.Null(outcome.ToRecipient);
        Assert.Equal("MCPS-025", Json(outcome.ToSender)["error"]!["data"]!["mcps_code"]!.GetValue<string>());
        Assert.Equal(0, pipeline.PendingRequests.ClientToServer);
    }

    [Fact]
    public async Task WorkAStageStarted_ThatFails_ReplacesTheAnswer_WithAnError()
    {
        var pipeline = new RelayPipeline([new DeferringStage(Task.FromException(new IOException("disk full")), onClientMessages: false)]);
        await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"x"}}"""), RelayDirection.ClientToServer);

        var outcome = await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":3,"result":{"content":[]}}"""), RelayDirection.ServerToClient);

        var error = Json(outcome.ToRecipient);
        Assert.False(error.ContainsKey("result"));
        Assert.Equal("MCPS-025", error["error"]!["data"]!["mcps_code"]!.GetValue<string>());
    }

    [Fact]
    public async Task WorkAStageStarted_IsAwaited_EvenWhenALaterStageRefuses()
    {
        var durable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pipeline = new RelayPipeline([new DeferringStage(durable.Task), new RejectingStage()]);

        var processing = pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":1,"method":"ping"}"""), RelayDirection.ClientToServer).AsTask();

        Assert.False(processing.IsCompleted);
        durable.SetResult();
        var outcome = await processing;
        Assert.Equal(Errors.McpsCode.InsufficientTrust, outcome.Rejection!.McpsCode);
        Assert.Null(outcome.ToRecipient);
    }

    private sealed class TracingStage(string name, List<string> trace) : IRelayStage
    {
        public ValueTask<StageResult> OnClientMessageAsync(RelayExchange exchange, CancellationToken cancellationToken)
        {
            trace.Add(name + ":client");
            return ValueTask.FromResult(StageResult.Continue);
        }

        public ValueTask<StageResult> OnServerMessageAsync(RelayExchange exchange, CancellationToken cancellationToken)
        {
            trace.Add(name + ":server");
            return ValueTask.FromResult(StageResult.Continue);
        }
    }

    private sealed class RejectingStage : IRelayStage
    {
        private static readonly StageResult Refusal = StageResult.Reject(GatewayRejection.Mcps(Errors.McpsCode.InsufficientTrust, "insufficient_trust"));

        public ValueTask<StageResult> OnClientMessageAsync(RelayExchange exchange, CancellationToken cancellationToken) => ValueTask.FromResult(Refusal);

        public ValueTask<StageResult> OnServerMessageAsync(RelayExchange exchange, CancellationToken cancellationToken) => ValueTask.FromResult(Refusal);
    }

    private sealed class ThrowingStage : IRelayStage
    {
        public ValueTask<StageResult> OnClientMessageAsync(RelayExchange exchange, CancellationToken cancellationToken) => throw new InvalidOperationException("boom");

        public ValueTask<StageResult> OnServerMessageAsync(RelayExchange exchange, CancellationToken cancellationToken) => throw new InvalidOperationException("boom");
    }

    private sealed class RequestCapturingStage(List<string?> seen) : IRelayStage
    {
        public ValueTask<StageResult> OnClientMessageAsync(RelayExchange exchange, CancellationToken cancellationToken)
        {
            if (exchange.Message.Kind == MessageKind.Response)
            {
                seen.Add(exchange.Request?.Message.Method);
            }

            return ValueTask.FromResult(StageResult.Continue);
        }

        public ValueTask<StageResult> OnServerMessageAsync(RelayExchange exchange, CancellationToken cancellationToken) => OnClientMessageAsync(exchange, cancellationToken);
    }

    private sealed class DeferringStage(Task work, bool onClientMessages = true) : IRelayStage
    {
        public ValueTask<StageResult> OnClientMessageAsync(RelayExchange exchange, CancellationToken cancellationToken)
        {
            if (onClientMessages)
            {
                exchange.ForwardOnlyAfter(work);
            }

            return ValueTask.FromResult(StageResult.Continue);
        }

        public ValueTask<StageResult> OnServerMessageAsync(RelayExchange exchange, CancellationToken cancellationToken)
        {
            if (!onClientMessages)
            {
                exchange.ForwardOnlyAfter(work);
            }

            return ValueTask.FromResult(StageResult.Continue);
        }
    }
}
