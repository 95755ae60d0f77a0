using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Audit;
using AgentTrust.Tests.Gateway.Support;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// Official SDK clients (C# 2.3.1 and TypeScript 1.32.2) talking through agent-proxy + proxy to the official
/// server-everything: the relay is transparent for tools, progress notifications and server→client requests, and
/// every call leaves verifiable receipts on both sides.
/// </summary>
public sealed class SdkClientThroughGatewayTests
{
    private static async Task<McpClient> ConnectAsync(GatewayChain chain, McpClientHandlers? handlers = null)
    {
        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Command = "dotnet",
            Arguments = chain.Arguments("node", GatewayPeers.ServerEverything, "stdio"),
            EnvironmentVariables = chain.Environment!,
            Name = "gateway-chain",
        });

        // server-everything is a 2025-11-25 server: pin the version so the client skips the 2026-07-28 discover probe.
        return await McpClient.CreateAsync(transport, new McpClientOptions { ProtocolVersion = "2025-11-25", Handlers = handlers ?? new McpClientHandlers() });
    }

    [Fact]
    public async Task CSharpClient_CallsToolsThroughTheChain_AndBothAuditLogsVerify()
    {
        using var chain = new GatewayChain();
        await using (var client = await ConnectAsync(chain))
        {
            var tools = await client.ListToolsAsync();
            Assert.Contains(tools, t => t.Name == "echo");

            var echo = await client.CallToolAsync("echo", new Dictionary<string, object?> { ["message"] = "through the gateway" });
            Assert.Equal("Echo: through the gateway", Assert.IsType<TextContentBlock>(echo.Content[0]).Text);

            var sum = await client.CallToolAsync("get-sum", new Dictionary<string, object?> { ["a"] = 2, ["b"] = 3 });
            Assert.Contains("5", Assert.IsType<TextContentBlock>(sum.Content[0]).Text, StringComparison.Ordinal);
            Assert.NotNull(echo.Meta?["_signet_bilateral"]);
        }

        var gatewayLog = await AuditVerifier.VerifyAsync(chain.GatewayAudit, new AuditVerificationOptions { Signatures = true });
        var agentLog = await AuditVerifier.VerifyAsync(chain.AgentAudit, new AuditVerificationOptions { Signatures = true });
        Assert.True(gatewayLog.Valid);
        Assert.Equal(2, gatewayLog.RecordCount);
        Assert.True(agentLog.Valid);
        Assert.Equal(4, agentLog.RecordCount);
    }

    [Fact]
    public async Task CSharpClient_ProgressNotificationsAndServerRequestsPassThroughTheChain()
    {
        using var chain = new GatewayChain();
        var elicitations = 0;
        var handlers = new McpClientHandlers
        {
            ElicitationHandler = (request, ct) =>
            {
                Interlocked.Increment(ref elicitations);
                return ValueTask.FromResult(new ElicitResult { Action = "decline" });
            },
        };
        await using var client = await ConnectAsync(chain, handlers);

        var progress = new List<ProgressNotificationValue>();
        var reporter = new SynchronousProgress(progress);
        var tools = await client.ListToolsAsync();
        await client.CallToolAsync("trigger-long-running-operation", new Dictionary<string, object?> { ["duration"] = 1, ["steps"] = 3 }, reporter);
        Assert.Contains(tools, t => t.Name == "trigger-elicitation-request");
        var elicited = await client.CallToolAsync("trigger-elicitation-request", new Dictionary<string, object?>());

        // The SDK hands notifications to the reporter on its own task, so the last ones may still be on their way when
        // the result returns: wait for them (a guard against a hang, not a timing assertion).
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
        {
            while (Count(progress) < 2 && !wait.IsCancellationRequested)
            {
                await Task.Delay(20);
            }
        }

        Assert.True(Count(progress) >= 2, $"progress notifications received: {Count(progress)}");
        Assert.Equal(1, elicitations);
        Assert.NotEqual(true, elicited.IsError);
    }

    [Fact]
    public async Task TypeScriptClient_CallsAToolThroughTheChain()
    {
        using var chain = new GatewayChain();
        var command = JsonSerializer.Serialize((string[])["dotnet", .. chain.Arguments("node", GatewayPeers.ServerEverything, "stdio")]);
        using var process = GatewayPeers.Start("node", [GatewayPeers.TypeScriptClient, command, """{"name":"echo","arguments":{"message":"from typescript"}}"""], chain.Environment);
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        var steps = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (JsonObject)JsonNode.Parse(l)!).ToDictionary(s => s["step"]!.GetValue<string>());
        Assert.Equal("mcp-servers/everything", steps["connected"]["server"]!.GetValue<string>());
        Assert.Contains("echo", steps["tools"]["names"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("Echo: from typescript", steps["call"]["result"]!["content"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(3, steps["call"]["result"]!["_meta"]!["_signet_bilateral"]!["v"]!.GetValue<int>());
        Assert.Equal(0, process.ExitCode);
    }

    [Fact]
    public async Task CSharpClient_CallToAToolNeverListed_IsRefusedWithMcps008()
    {
        using var chain = new GatewayChain();
        await using var client = await ConnectAsync(chain);

        var refused = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("echo", new Dictionary<string, object?> { ["message"] = "x" }).AsTask());

        Assert.Equal(-33008, (int)refused.ErrorCode);
    }

    private static int Count(List<ProgressNotificationValue> values)
    {
        lock (values)
        {
            return values.Count;
        }
    }

    private sealed class SynchronousProgress(List<ProgressNotificationValue> values) : IProgress<ProgressNotificationValue>
    {
        public void Report(ProgressNotificationValue value)
        {
            lock (values)
            {
                values.Add(value);
            }
        }
    }
}
