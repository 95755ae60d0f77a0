using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Gateway.Configuration;
using AgentTrust.Tests.Gateway.Support;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// Per-tool rules written in a YAML configuration file are enforced by a real gateway exactly as the JSON form's:
/// a tool that requires attestation is refused without a token (MCPS-020), a tool above the caller's level is refused
/// (MCPS-009), other tools pass; and a per-tool minimum can never lower the global one.
/// </summary>
public sealed class GatewayYamlToolRuleTests
{
    private static string Call(int id, string tool) => new JsonObject
    {
        ["jsonrpc"] = "2.0",
        ["id"] = id,
        ["method"] = "tools/call",
        ["params"] = new JsonObject { ["name"] = tool, ["arguments"] = new JsonObject { ["text"] = "x" } },
    }.ToJsonString();

    [Fact]
    public async Task YamlRules_RequireAttestation_AndMinimumLevel_AreEnforced()
    {
        using var trust = new TrustFixture();
        using var agent = trust.IssueAgent(level: 2);
        using var issuerKey = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        var jwks = trust.Scratch.File("issuer-jwks.json");
        File.WriteAllText(jwks, new JsonObject { ["keys"] = new JsonArray(JsonNode.Parse(issuerKey.PublicKey.ToJsonWebKey().With(kid: "k1").ToJson())) }.ToJsonString());
        var config = trust.Scratch.File("gateway.yml");
        File.WriteAllText(config, $"""
            minTrust: 1
            tools:
              echo:
                requireAttestation: true
              changeable:
                minTrust: 3
            attestation:
              issuers:
                - issuer: https://issuer.test
                  jwks: {jwks}
              audience: https://gateway.test/mcp
            """);
        await using var gateway = new RawGatewayProcess(["--trust-store", trust.TrustStore, "--no-pins", "--config", config],
            ["node", GatewayPeers.RecordingServer], new Dictionary<string, string>
            {
                ["RECEIVED_LOG"] = trust.Scratch.File("received.jsonl"),
                ["AGENTTRUST_HOME"] = trust.Scratch.File("home"),
            });

        await gateway.SendAsync(agent.Sign("""{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"""));
        Assert.True((await gateway.ReceiveResponseAsync("init")).ContainsKey("result"));
        await gateway.SendAsync(agent.Sign("""{"jsonrpc":"2.0","method":"notifications/initialized"}"""));
        await gateway.SendAsync(agent.Sign(Call(5, "echo")));
        var attestationRequired = await gateway.ReceiveResponseAsync(5);
        await gateway.SendAsync(agent.Sign(Call(6, "changeable")));
        var levelRequired = await gateway.ReceiveResponseAsync(6);
        await gateway.SendAsync(agent.Sign(Call(7, "add")));
        var unruled = await gateway.ReceiveResponseAsync(7);

        Assert.Equal("MCPS-020", attestationRequired["error"]!["data"]!["mcps_code"]!.GetValue<string>());
        Assert.Equal("MCPS-009", levelRequired["error"]!["data"]!["mcps_code"]!.GetValue<string>());
        Assert.Null(unruled["error"]?["data"]?["mcps_code"]);
        Assert.Equal(["add"], RecordedMessages.ToolCalls(trust.Scratch.File("received.jsonl")));
    }

    [Theory]
    [InlineData("minTrust: 2\ntools:\n  public:\n    minTrust: 0\n")]
    [InlineData("minTrust: 3\ntools:\n  transfer:\n    minTrust: 2\n")]
    public void PerToolMinimum_BelowTheGlobalOne_IsRefused(string yaml)
    {
        Assert.Throws<InvalidDataException>(() => GatewayOptionsFile.ParseYaml(System.Text.Encoding.UTF8.GetBytes(yaml)));
        var json = System.Text.Json.JsonSerializer.Serialize(new { minTrust = 2, tools = new Dictionary<string, object> { ["public"] = new { minTrust = 0 } } });
        Assert.Throws<InvalidDataException>(() => GatewayOptionsFile.Parse(System.Text.Encoding.UTF8.GetBytes(json)));
    }
}
