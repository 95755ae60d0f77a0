using System.Text.Json.Nodes;
using AgentTrust.Audit;
using AgentTrust.Mcps.Passports;
using AgentTrust.Tests.Authority;
using AgentTrust.Tests.Gateway;
using AgentTrust.Tests.Gateway.Support;

namespace AgentTrust.Tests.Audit;

/// <summary><c>agenttrust proxy --audit-dir DIR --authority URL</c> anchors its log at the authority, the last head at shutdown.</summary>
public sealed class GatewayAuditAnchoringTests
{
    [Fact]
    public async Task The_gateway_anchors_its_audit_log_at_the_authority_when_it_shuts_down()
    {
        await using var authority = await AuthorityTestHost.StartAsync();
        using var scratch = new ScratchDirectory();
        var registered = authority.NewAgent();
        await authority.RegisterAsync(registered);
        var issued = await authority.Client().ResolvePassportAsync(registered.PassportId);
        Assert.True(AgentPassport.TryParse(issued.Value!, out var passport, out _));
        using var agent = new TrustFixture.Agent(registered.Key, passport!);
        var auditDir = scratch.File("audit");
        var environment = new Dictionary<string, string> { ["RECEIVED_LOG"] = scratch.File("received.jsonl"), ["AGENTTRUST_HOME"] = scratch.File("home") };

        await using (var gateway = new RawGatewayProcess(
            ["--authority", authority.Server.BaseAddress.AbsoluteUri, "--authority-name", authority.Options.Name, "--no-pins", "--min-trust", "1",
             "--key", "gw", "--audit-dir", auditDir, "--replay-store", "memory"],
            ["node", GatewayPeers.RecordingServer], environment))
        {
            await gateway.SendAsync(agent.Sign("""{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"""));
            await gateway.ReceiveResponseAsync("init");
            await gateway.SendAsync(agent.Sign("""{"jsonrpc":"2.0","method":"notifications/initialized"}"""));
            await gateway.SendAsync(agent.Sign("""{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}"""));
            var answer = await gateway.ReceiveResponseAsync(5);
            Assert.True(answer.ContainsKey("result"), answer.ToJsonString());
            gateway.CloseInput();
            Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }

        var anchorKey = authority.Keys.AnchorKey.PublicKey;
        var report = await AuditVerifier.VerifyAsync(auditDir, new AuditVerificationOptions { AnchorKeys = [anchorKey] });
        Assert.True(report.Valid, report.FirstBreak?.Reason);
        Assert.True(report.RecordCount >= 1);
        Assert.Equal(1, report.AnchorsChecked);
        var anchorFile = Path.Combine(auditDir, AuditAnchor.FolderName, AuditAnchor.FileName(report.RecordCount));
        Assert.True(File.Exists(anchorFile));
        var held = await authority.Client().GetAnchorAsync(report.LogId!);
        Assert.Equal(report.RecordCount, held.Value!["record_count"]!.GetValue<long>());
        Assert.True(File.Exists(Path.Combine(scratch.File("home"), "pinned-authorities.json")));
    }
}
