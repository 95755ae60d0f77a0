using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Attestation;
using AgentTrust.Cryptography;
using AgentTrust.Tests.Gateway.Support;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// Official SDK clients through agent-proxy + proxy with attestation on, in front of server-everything: the C# client
/// presents a token through its experimental capabilities and works under <c>required</c>; the TypeScript client has
/// no token and works under <c>optional</c>. Both receive the gateway's advertisement and ignore what they do not know.
/// </summary>
public sealed class SdkClientAttestationTests
{
    private const string Issuer = "https://issuer.test";
    private const string Audience = "https://gateway.test/mcp";
    private const string Kid = "k1";

    [Fact]
    public async Task CSharpClient_PresentsItsTokenAtInitialize_AndWorksUnderRequired()
    {
        using var chain = new AttestedChain();
        var capability = AttestationPlacement.CreateClientCapability(chain.Token());
        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Command = "dotnet",
            Arguments = chain.Arguments("required"),
            EnvironmentVariables = chain.Environment!,
            Name = "attested-chain",
        });
        var options = new McpClientOptions
        {
            ProtocolVersion = "2025-11-25",
            Capabilities = new ClientCapabilities
            {
                Experimental = new Dictionary<string, object> { [AttestationNames.CapabilityKey] = JsonSerializer.Deserialize<JsonElement>(capability.ToJsonString()) },
            },
        };

        await using var client = await McpClient.CreateAsync(transport, options);
        var tools = await client.ListToolsAsync();
        var echo = await client.CallToolAsync("echo", new Dictionary<string, object?> { ["message"] = "attested" });

        var advertised = (JsonElement)client.ServerCapabilities.Experimental![AttestationNames.CapabilityKey];
        Assert.Equal("verified", advertised.GetProperty("verification_status").GetString());
        Assert.Equal("required", advertised.GetProperty("policy").GetString());
        Assert.Equal(Issuer, advertised.GetProperty("issuer").GetString());
        Assert.Contains(tools, t => t.Name == "echo");
        Assert.Equal("Echo: attested", Assert.IsType<TextContentBlock>(echo.Content[0]).Text);
    }

    [Fact]
    public async Task TypeScriptClient_WithoutAToken_ConnectsAndCallsUnderOptional_SeeingLevelNone()
    {
        using var chain = new AttestedChain();
        var command = JsonSerializer.Serialize((string[])["dotnet", .. chain.Arguments("optional")]);
        using var process = GatewayPeers.Start("node", [GatewayPeers.TypeScriptClient, command, """{"name":"echo","arguments":{"message":"from typescript"}}"""], chain.Environment);
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        var steps = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (JsonObject)JsonNode.Parse(l)!).ToDictionary(s => s["step"]!.GetValue<string>());
        var advertised = steps["connected"]["experimental"]![AttestationNames.CapabilityKey]!;
        Assert.Equal("optional", advertised["policy"]!.GetValue<string>());
        Assert.Equal("none", advertised["trust_level"]!.GetValue<string>());
        Assert.Equal("Echo: from typescript", steps["call"]["result"]!["content"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(0, process.ExitCode);
    }

    // The chain of GatewayChain with attestation on the proxy: an issuer key whose JWKS is a file.
    private sealed class AttestedChain : IDisposable
    {
        private readonly GatewayChain _chain = new();
        private readonly SigningKey _issuerKey = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        private readonly string _jwks;

        public AttestedChain()
        {
            _jwks = _chain.Scratch.File("issuer-jwks.json");
            var jwk = JsonNode.Parse(_issuerKey.PublicKey.ToJsonWebKey().With(kid: Kid).ToJson())!;
            File.WriteAllText(_jwks, new JsonObject { ["keys"] = new JsonArray(jwk) }.ToJsonString());
        }

        public Dictionary<string, string> Environment => _chain.Environment;

        public string Token() => new AttestationTokenIssuer(_issuerKey, Kid, Issuer).Issue(new AttestationTokenRequest
        {
            Audience = Audience,
            Subject = "spiffe://issuer.test/agent/sdk",
            AgentIdentity = new AgentIdentity("test-model", "test-model-1", "test-provider"),
        });

        public string[] Arguments(string mode) =>
        [
            GatewayPeers.AgentTrustDll, "agent-proxy", "--key", "agent", "--",
            "dotnet", GatewayPeers.AgentTrustDll, "proxy", "--trust-store", _chain.TrustStore, "--key", "gateway",
            "--attestation-issuer", Issuer, "--attestation-jwks", _jwks, "--attestation-audience", Audience, "--attestation-mode", mode, "--",
            "node", GatewayPeers.ServerEverything, "stdio",
        ];

        public void Dispose()
        {
            _issuerKey.Dispose();
            _chain.Dispose();
        }
    }
}
