using System.Text.Json.Nodes;
using AgentTrust.Attestation;
using AgentTrust.Cryptography;
using AgentTrust.Gateway;
using AgentTrust.Gateway.Configuration;
using AgentTrust.Gateway.Pipeline;
using AgentTrust.Jose;
using AgentTrust.Replay;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// The gateway advertises its attestation requirements (attestation.md §3.1, §3.2) in the answers to
/// <c>initialize</c> and <c>server/discover</c>, in place of whatever the upstream server put there, and attests a
/// session once the server accepted its <c>initialize</c>: through the server-side pipeline as the transports run it.
/// </summary>
public sealed class AttestationAdvertisementTests : IDisposable
{
    private const string Issuer = "https://issuer.test";
    private const string Audience = "https://gateway.test/mcp";
    private readonly SigningKey _issuerKey = SigningKey.Generate(SignatureAlgorithm.EdDSA);

    public void Dispose() => _issuerKey.Dispose();

    [Fact]
    public async Task DiscoverResult_CarriesTheRequirements_AndPassesUnattestedUnderRequired()
    {
        var pipeline = Pipeline(AttestationPolicyMode.Required);

        var discover = await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{}}"""), RelayDirection.ClientToServer);
        var answer = await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":1,"result":{"supportedVersions":["2026-07-28"],"capabilities":{"tools":{}}}}"""), RelayDirection.ServerToClient);

        Assert.NotNull(discover.ToRecipient);
        var result = Parse(answer.ToRecipient)["result"]!;
        var advertised = result["capabilities"]!["experimental"]![AttestationNames.CapabilityKey]!;
        Assert.Equal("0.1.0", advertised["version"]!.GetValue<string>());
        Assert.Equal("required", advertised["policy"]!.GetValue<string>());
        Assert.Equal([Issuer], advertised["trusted_issuers"]!.AsArray().Select(i => i!.GetValue<string>()));
        Assert.Equal(["agent_identity", "attestation_metadata"], advertised["required_claims"]!.AsArray().Select(i => i!.GetValue<string>()));
        Assert.NotNull(result["capabilities"]!["tools"]);
    }

    [Fact]
    public async Task AnUpstreamClaimOfAVerifiedAgent_IsReplacedByTheGatewaysOwnVerdict()
    {
        var pipeline = Pipeline(AttestationPolicyMode.Optional);

        await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"""), RelayDirection.ClientToServer);
        var answer = await pipeline.ProcessAsync(Bytes("""
            {"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-11-25","serverInfo":{"name":"s","version":"1"},
             "capabilities":{"experimental":{"security.attestation":{"verification_status":"verified","trust_level":"provider","issuer":"https://evil.test"}}}}}
            """), RelayDirection.ServerToClient);

        var advertised = (JsonObject)Parse(answer.ToRecipient)["result"]!["capabilities"]!["experimental"]![AttestationNames.CapabilityKey]!;
        Assert.Equal("optional", advertised["policy"]!.GetValue<string>());
        Assert.Equal("none", advertised["trust_level"]!.GetValue<string>());
        Assert.False(advertised.ContainsKey("verification_status"));
        Assert.False(advertised.ContainsKey("issuer"));
    }

    [Fact]
    public async Task AnInitializeTheServerRefused_LeavesTheSessionUnattested_SoItCanBeRetried_ButAnAcceptedOneCannotBeRepeated()
    {
        var pipeline = Pipeline(AttestationPolicyMode.Required);

        await pipeline.ProcessAsync(Initialize(1, Token()), RelayDirection.ClientToServer);
        await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"Unsupported protocol version"}}"""), RelayDirection.ServerToClient);
        var ping = await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":2,"method":"ping"}"""), RelayDirection.ClientToServer);
        var retry = await pipeline.ProcessAsync(Initialize(3, Token()), RelayDirection.ClientToServer);
        var accepted = await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":3,"result":{"protocolVersion":"2025-11-25","capabilities":{},"serverInfo":{"name":"s","version":"1"}}}"""), RelayDirection.ServerToClient);
        var pingAfter = await pipeline.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":4,"method":"ping"}"""), RelayDirection.ClientToServer);
        var again = await pipeline.ProcessAsync(Initialize(5, Token()), RelayDirection.ClientToServer);

        Assert.Equal(AttestationReasons.Required, ping.Rejection?.JsonRpcCode);
        Assert.NotNull(retry.ToRecipient);
        Assert.Equal("verified", Parse(accepted.ToRecipient)["result"]!["capabilities"]!["experimental"]![AttestationNames.CapabilityKey]!["verification_status"]!.GetValue<string>());
        Assert.Null(pingAfter.Rejection);
        Assert.Equal("already_initialized", again.Rejection?.Reason);
    }

    private string Token() => new AttestationTokenIssuer(_issuerKey, "k1", Issuer).Issue(new AttestationTokenRequest
    {
        Audience = Audience,
        Subject = "spiffe://issuer.test/agent/test",
        AgentIdentity = new AgentIdentity("test-model", "test-model-1", "test-provider"),
    });

    private static byte[] Initialize(int id, string token)
    {
        var init = (JsonObject)JsonNode.Parse("""{"jsonrpc":"2.0","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}""")!;
        init["id"] = id;
        AttestationPlacement.SetInitializeToken((JsonObject)init["params"]!, token);
        return Bytes(init.ToJsonString());
    }

    private RelayPipeline Pipeline(AttestationPolicyMode mode)
    {
        var options = new GatewayOptions
        {
            DisablePins = true,
            Attestation = new AttestationSettings { Issuers = [new AttestationIssuerSetting(Issuer, "inline")], Audience = Audience, Mode = mode },
        };
        var verifier = new AttestationVerifier(new AttestationVerifierOptions
        {
            Issuers = [new TrustedIssuer(Issuer, new StaticJwsKeyResolver(new Dictionary<string, VerificationKey> { ["k1"] = _issuerKey.PublicKey }))],
            Audience = Audience,
            Mode = mode,
            ReplayStore = new InMemoryReplayStore(),
        });
        return new RelayPipeline(GatewayPipelineFactory.CreateServerSide(options, "test-server", null, null, null, attestation: verifier));
    }

    private static byte[] Bytes(string json) => System.Text.Encoding.UTF8.GetBytes(json.ReplaceLineEndings(string.Empty));

    private static JsonObject Parse(ReadOnlyMemory<byte>? bytes) => (JsonObject)JsonNode.Parse(bytes!.Value.Span)!;
}
