using System.Text.Json.Nodes;
using AgentTrust.Errors;
using AgentTrust.Mcps;
using AgentTrust.Mcps.Envelopes;
using AgentTrust.Mcps.Transcript;
using AgentTrust.Mcps.TrustLevels;
using AgentTrust.Mcps.Versions;

namespace AgentTrust.Tests.Mcps;

/// <summary>Transcript binding, downgrade (both generations), version negotiation, trust levels (§14 categories 10, 15).</summary>
public class McpsAttackTranscriptTests
{
    private static JsonObject ClientInit() => JsonNode.Parse("""
        {"protocolVersion":"2025-06-18","capabilities":{"extensions":{"io.agenttrust/mcps":{"versions":["1.0"],"trust_level":2}}},"clientInfo":{"name":"c","version":"1"}}
        """)!.AsObject();

    private static JsonObject ServerInit() => JsonNode.Parse("""
        {"protocolVersion":"2025-06-18","capabilities":{"extensions":{"io.agenttrust/mcps":{"versions":["1.0"],"min_trust_level":2,"required":true}}},"serverInfo":{"name":"s","version":"1"}}
        """)!.AsObject();

    [Theory]
    [InlineData("strip")]
    [InlineData("lower")]
    [InlineData("protocol")]
    [InlineData("server")]
    public void Transcript_tampering_fails_with_mcps_012(string attack)
    {
        using var world = new McpsWorld();
        var binding = TranscriptBinding.Create(ClientInit(), ServerInit(), world.AgentKey);
        Assert.Null(TranscriptBinding.Verify(binding, world.AgentKey.PublicKey, ClientInit(), ServerInit()));
        var client = ClientInit();
        var server = ServerInit();
        switch (attack)
        {
            case "strip": ((JsonObject)client["capabilities"]!).Remove("extensions"); break;
            case "lower": client["capabilities"]!["extensions"]!["io.agenttrust/mcps"]!["trust_level"] = 0; break;
            case "protocol": client["protocolVersion"] = "2024-11-05"; break;
            default: server["capabilities"]!["extensions"]!["io.agenttrust/mcps"]!["required"] = false; break;
        }

        Assert.Equal(McpsCode.CapabilityMismatch, TranscriptBinding.Verify(binding, world.AgentKey.PublicKey, client, server)!.Code);
    }

    [Fact]
    public void Wire_form_ignores_only_the_envelope_and_transcript_members()
    {
        using var world = new McpsWorld();
        var server = ServerInit();
        var binding = TranscriptBinding.Create(ClientInit(), TranscriptBinding.ForHashing(server), world.AgentKey);
        server["_meta"] = new JsonObject { ["io.agenttrust/transcript"] = TranscriptBinding.ToMetaMember(binding, world.Passport.PassportId) };
        Assert.True(TranscriptBinding.TryReadMetaMember(server, out var read, out var passportId));
        Assert.Equal(world.Passport.PassportId, passportId);
        Assert.Null(TranscriptBinding.Verify(read!, world.AgentKey.PublicKey, ClientInit(), TranscriptBinding.ForHashing(server)));
        server["_meta"]!["other"] = 1;
        Assert.NotNull(TranscriptBinding.Verify(read!, world.AgentKey.PublicKey, ClientInit(), TranscriptBinding.ForHashing(server)));
    }

    [Fact]
    public void Downgrade_guard_remembers_required_servers()
    {
        using var world = new McpsWorld();
        var guard = new DowngradeGuard();
        var unsigned = new McpsVerificationResult { Reason = McpsReasons.Unsigned };
        Assert.Null(guard.Check("srv", unsigned, null)); // never required: plain MCP is the caller's policy
        guard.RecordVerifiedAdvertisement("srv", (JsonObject)ServerInit()["capabilities"]!);
        Assert.Equal(McpsReasons.Downgrade, guard.Check("srv", unsigned, null)!.Reason);
        var valid = new McpsVerificationResult { IsValid = true };
        Assert.Equal(McpsReasons.Downgrade, guard.Check("srv", valid, new JsonObject())!.Reason);
        Assert.Null(guard.Check("srv", valid, (JsonObject)ServerInit()["capabilities"]!));
        Assert.NotNull(new DowngradeGuard(["configured"]).Check("configured", unsigned, null));
    }

    [Fact]
    public void Stateless_request_binds_its_capabilities_through_the_signature()
    {
        using var world = new McpsWorld();
        var request = JsonNode.Parse("""
            {"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","_meta":{
              "io.modelcontextprotocol/protocolVersion":"2026-07-28",
              "io.modelcontextprotocol/clientInfo":{"name":"c","version":"1"},
              "io.modelcontextprotocol/clientCapabilities":{"extensions":{"io.agenttrust/mcps":{"versions":["1.0"],"trust_level":2}}}}}}
            """)!.AsObject();
        var signed = McpsWorld.Parse(world.Sign(request.ToJsonString(), McpsSignOptions.Default));
        var result = world.Verifier().VerifyWithKey(McpsWorld.Bytes(signed), world.AgentKey.PublicKey);
        Assert.True(result.IsValid);
        Assert.Null(StatelessBinding.CheckRequest(signed, result, "2026-07-28"));
        Assert.Equal(McpsReasons.Downgrade, StatelessBinding.CheckRequest(signed, result, "2026-09-01")!.Reason);

        // Stripping the capability breaks the signature (MCPS-004); an unsigned request without it is a downgrade.
        var stripped = (JsonObject)signed.DeepClone();
        ((JsonObject)stripped["params"]!["_meta"]!).Remove("io.modelcontextprotocol/clientCapabilities");
        var strippedResult = world.Verifier().VerifyWithKey(McpsWorld.Bytes(stripped), world.AgentKey.PublicKey);
        Assert.Equal(McpsCode.InvalidSignature, strippedResult.Code);
        Assert.Equal(McpsCode.CapabilityMismatch, StatelessBinding.CheckRequest(stripped, strippedResult)!.Code);
    }

    [Fact]
    public void Signed_discover_result_is_bound_to_its_request_and_negotiates_a_version()
    {
        using var world = new McpsWorld();
        var requestHash = new string('a', 64);
        var response = JsonNode.Parse("""
            {"jsonrpc":"2.0","id":1,"result":{"supportedVersions":["2026-07-28"],"capabilities":{"extensions":{"io.agenttrust/mcps":{"versions":["1.0"],"min_trust_level":1,"required":true}}},"ttlMs":60000,"cacheScope":"global"}}
            """)!.AsObject();
        var signed = McpsWorld.Parse(world.Sign(response.ToJsonString(), new McpsSignOptions { ReplyTo = requestHash }));
        var result = world.Verifier().VerifyWithKey(McpsWorld.Bytes(signed), world.AgentKey.PublicKey);
        Assert.True(result.IsValid);
        Assert.Null(StatelessBinding.CheckDiscoverResult(signed, result, requestHash, ["1.0"]));
        Assert.Equal(McpsReasons.ReplyMismatch, StatelessBinding.CheckDiscoverResult(signed, result, new string('b', 64), ["1.0"])!.Reason);
        Assert.Equal(McpsCode.VersionMismatch, StatelessBinding.CheckDiscoverResult(signed, result, requestHash, ["2.0"])!.Code);
        Assert.Equal(McpsReasons.Downgrade, StatelessBinding.CheckDiscoverResult(signed, new McpsVerificationResult(), requestHash, ["1.0"])!.Reason);
    }

    [Theory]
    [InlineData(new[] { "1.0" }, new[] { "1.0" }, "1.0")]
    [InlineData(new[] { "1.0", "1.1", "2.0" }, new[] { "1.1", "1.0" }, "1.1")]
    [InlineData(new[] { "1.0.0" }, new[] { "1.0" }, "1.0")]
    [InlineData(new[] { "1.10" }, new[] { "1.9", "1.10" }, "1.10")]
    [InlineData(new[] { "2.0" }, new[] { "1.0" }, null)]
    [InlineData(new string[0], new[] { "1.0" }, null)]
    [InlineData(new[] { "abc", "1.x", "", "-1", "1..0", "1.0" }, new[] { "1.0", "v1", "1.0-beta" }, "1.0")]
    public void Version_negotiation(string[] client, string[] server, string? expected)
    {
        Assert.Equal(expected, McpsVersionNegotiation.Negotiate(client, server));
        var failure = McpsVersionNegotiation.TryNegotiate(client, server, out _);
        Assert.Equal(expected is null, failure?.Code == McpsCode.VersionMismatch);
    }

    [Fact]
    public void Single_string_client_and_supported_list()
    {
        Assert.Equal("1.0", McpsVersionNegotiation.Negotiate("1.0", McpsVersionNegotiation.Supported));
        Assert.Null(McpsVersionNegotiation.Negotiate((string?)null, McpsVersionNegotiation.Supported));
    }

    [Theory]
    [InlineData(0, TrustLevel.Unsigned, true)]
    [InlineData(1, TrustLevel.Verified, false)]
    [InlineData(2, TrustLevel.Verified, true)]
    [InlineData(4, TrustLevel.Audited, true)]
    [InlineData(3, TrustLevel.Audited, false)]
    public void Minimum_trust_level(int effective, TrustLevel minimum, bool allowed)
    {
        var failure = TrustLevels.RequireMinimum(effective, minimum);
        Assert.Equal(allowed, failure is null);
        if (!allowed)
        {
            Assert.Equal(McpsCode.InsufficientTrust, failure!.Code);
        }

        Assert.True(TrustLevels.TryParse("L" + (int)minimum, out var parsed));
        Assert.Equal(minimum, parsed);
        Assert.False(TrustLevels.TryParse("L5", out _));
    }

    [Fact]
    public void Error_codes_are_strings_in_the_reserved_mcps_range_and_say_binding()
    {
        foreach (var code in Enum.GetValues<McpsCode>())
        {
            Assert.Matches("^MCPS-0[0-9]{2}$", code.ToCodeString());
            Assert.InRange(code.ToJsonRpcCode(), -33099, -33001);
        }

        Assert.Contains("binding", McpsCode.CapabilityMismatch.DefaultMessage(), StringComparison.Ordinal);
        Assert.DoesNotContain("MAC", McpsCode.CapabilityMismatch.DefaultMessage(), StringComparison.Ordinal);
    }
}
