using System.Text.Json.Nodes;
using AgentTrust.Mcps.Passports;
using AgentTrust.Tests.Authority;
using AgentTrust.Tests.Gateway.Support;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// The gateway with <c>--authority URL</c> against a real Trust Authority (Kestrel + SQLite, in process): passports the
/// authority issued are verified with its published key, levels come from the authority, revocation is enforced,
/// and an unreachable authority stops the gateway instead of letting it relay unverified.
/// </summary>
public sealed class GatewayAuthorityTests
{
    private const string EchoCall = """{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}""";

    // Registration with proof of possession issues an L1 passport; a level set afterwards at the authority is the
    // "current level" that caps the effective level through status, without re-issuing the passport.
    private static async Task<TrustFixture.Agent> RegisterAsync(AuthorityTestHost authority, int? currentLevel = null)
    {
        var agent = authority.NewAgent();
        await authority.RegisterAsync(agent);
        var client = authority.Client();
        if (currentLevel is { } level)
        {
            var changed = await client.SetTrustLevelAsync(agent.PassportId, level, "changed by the operator", authority.AdminToken);
            Assert.True(changed.IsSuccess, changed.Code?.ToString());
        }

        var issued = await client.ResolvePassportAsync(agent.PassportId);
        Assert.True(AgentPassport.TryParse(issued.Value!, out var passport, out var failure), failure?.ToString());
        return new TrustFixture.Agent(agent.Key, passport!);
    }

    private static RawGatewayProcess StartGateway(AuthorityTestHost authority, ScratchDirectory scratch, params string[] extra) =>
        new(["--authority", authority.Server.BaseAddress.AbsoluteUri, "--authority-name", authority.Options.Name, "--no-pins", .. extra],
            ["node", GatewayPeers.RecordingServer], new Dictionary<string, string> { ["RECEIVED_LOG"] = scratch.File("received.jsonl") });

    [Fact]
    public async Task PassportIssuedByTheAuthority_Passes_AndARevokedOneIsRefusedWithMcps003()
    {
        await using var authority = await AuthorityTestHost.StartAsync();
        using var scratch = new ScratchDirectory();
        using var active = await RegisterAsync(authority);
        using var revoked = await RegisterAsync(authority);
        var revocation = await authority.Client().RevokeAsync(revoked.Passport.PassportId, "key leaked", authority.AdminToken);
        Assert.True(revocation.IsSuccess);
        await using var gateway = StartGateway(authority, scratch, "--min-trust", "1");

        await gateway.SendAsync(active.Sign("""{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"""));
        var initialized = await gateway.ReceiveResponseAsync("init");
        await gateway.SendAsync(active.Sign("""{"jsonrpc":"2.0","method":"notifications/initialized"}"""));
        await gateway.SendAsync(active.Sign(EchoCall));
        var allowed = await gateway.ReceiveResponseAsync(5);
        await gateway.SendAsync(revoked.Sign(EchoCall.Replace("\"id\":5", "\"id\":6", StringComparison.Ordinal)));
        var refused = await gateway.ReceiveResponseAsync(6);

        Assert.True(initialized.ContainsKey("result"), initialized.ToJsonString());
        Assert.Equal("hi", allowed["result"]!["content"]![0]!["text"]!.GetValue<string>());
        Assert.Equal("MCPS-003", refused["error"]!["data"]!["mcps_code"]!.GetValue<string>());
        Assert.Equal(["echo"], RecordedMessages.ToolCalls(scratch.File("received.jsonl")));
    }

    [Fact]
    public async Task LevelLoweredAtTheAuthority_IsRefusedByTheMinimum()
    {
        await using var authority = await AuthorityTestHost.StartAsync();
        using var scratch = new ScratchDirectory();
        using var agent = await RegisterAsync(authority, currentLevel: 0);
        await using var gateway = StartGateway(authority, scratch, "--min-trust", "1");

        await gateway.SendAsync(agent.Sign("""{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"""));
        var refused = await gateway.ReceiveResponseAsync("init");

        Assert.Equal("MCPS-009", refused["error"]!["data"]!["mcps_code"]!.GetValue<string>());
        Assert.Empty(RecordedMessages.Read(scratch.File("received.jsonl")));
    }

    [Fact]
    public async Task UnreachableAuthority_StopsTheGateway_FailClosed()
    {
        using var scratch = new ScratchDirectory();
        await using var gateway = new RawGatewayProcess(["--authority", "http://127.0.0.1:9/", "--no-pins"], ["node", GatewayPeers.RecordingServer],
            new Dictionary<string, string> { ["RECEIVED_LOG"] = scratch.File("received.jsonl") });

        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(3, exitCode);
        Assert.Contains("MCPS-007", gateway.StandardError, StringComparison.Ordinal);
        Assert.Empty(RecordedMessages.Read(scratch.File("received.jsonl")));
    }
}
