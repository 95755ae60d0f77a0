using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Errors;
using AgentTrust.Json;
using AgentTrust.Mcps;
using AgentTrust.Mcps.Envelopes;
using AgentTrust.Mcps.Passports;
using AgentTrust.Mcps.Replay;
using AgentTrust.Mcps.Tools;

namespace AgentTrust.Tests.Mcps;

/// <summary>One test per defect of mcps.md §15, each proving AgentTrust does not have it.</summary>
public class McpsReferenceDefectTests
{
    private const string Call = """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"pay","arguments":{"amount":5}}}""";

    [Fact]
    public void Defect_01_unsigned_version_never_selects_the_layout()
    {
        using var world = new McpsWorld();
        var signed = McpsWorld.Parse(world.Sign(Call, McpsSignOptions.Default));
        var container = (JsonObject)signed["params"]!["_meta"]!["io.agenttrust/mcps"]!;
        container["version"] = "0.9";
        var result = world.Verifier().VerifyWithKey(McpsWorld.Bytes(signed), world.AgentKey.PublicKey);
        Assert.Equal(McpsCode.VersionMismatch, result.Code);
        container["version"] = "1.0";
        var notNegotiated = world.Verifier().VerifyWithKey(McpsWorld.Bytes(signed), world.AgentKey.PublicKey, new McpsVerificationContext { NegotiatedVersion = "1.1" });
        Assert.Equal(McpsCode.VersionMismatch, notNegotiated.Code);
    }

    [Fact]
    public void Defect_02_one_signature_has_exactly_one_accepted_string_form()
    {
        using var world = new McpsWorld();
        var signed = McpsWorld.Parse(world.Sign(Call, McpsSignOptions.Default));
        var container = (JsonObject)signed["params"]!["_meta"]!["io.agenttrust/mcps"]!;
        var text = (string)container["signature"]!;
        Assert.True(StrictBase64.TryDecode(text, out var bytes));
        Assert.True(EcdsaP256.IsLowS(bytes));
        foreach (var variant in new[] { text.TrimEnd('='), text.Replace('+', '-').Replace('/', '_'), text + "\n" })
        {
            if (variant == text)
            {
                continue;
            }

            container["signature"] = variant;
            Assert.Equal(McpsCode.InvalidSignature, world.Verifier().VerifyWithKey(McpsWorld.Bytes(signed), world.AgentKey.PublicKey).Code);
        }
    }

    [Fact]
    public async Task Defect_03_replay_is_checked_per_passport_bounded_and_after_the_signature()
    {
        using var world = new McpsWorld();
        var store = new InMemoryNonceStore(capacity: 1, perPassportCapacity: 1, time: world.Clock);
        var verifier = world.Verifier(nonces: store);
        var signed = McpsWorld.Parse(world.Sign(Call));
        var forged = (JsonObject)signed.DeepClone();
        forged["params"]!["arguments"]!["amount"] = 5000;
        Assert.Equal(McpsCode.InvalidSignature, (await verifier.VerifyAsync(McpsWorld.Bytes(forged))).Code);
        Assert.Equal(0, store.Count); // the forged message did not consume the nonce
        Assert.True((await verifier.VerifyAsync(McpsWorld.Bytes(signed))).IsValid);
        Assert.Equal(McpsCode.ReplayDetected, (await verifier.VerifyAsync(McpsWorld.Bytes(signed))).Code);
        Assert.Equal(McpsCode.RateLimited, (await verifier.VerifyAsync(world.Sign(Call))).Code); // bounded, fail closed
    }

    [Fact]
    public void Defect_04_timestamps_have_strict_grammar_and_separate_past_and_future_bounds()
    {
        Assert.False(McpsTimestamp.TryParse("Thu Jan 15 2026 12:00:00 GMT+0000", out _));
        Assert.False(McpsTimestamp.TryParse("2026-01-15T12:00:00+00:00", out _));
        Assert.NotEqual(McpsVerifierOptions.Default.MaxAge, McpsVerifierOptions.Default.MaxFutureSkew);

        using var world = new McpsWorld();
        world.Clock.Set(McpsWorld.Start.AddSeconds(120));
        var ahead = world.Sign(Call, McpsSignOptions.Default);
        world.Clock.Set(McpsWorld.Start);
        Assert.Equal(McpsReasons.TooNew, world.Verifier().VerifyWithKey(ahead, world.AgentKey.PublicKey).Reason);
        world.Clock.Set(McpsWorld.Start.AddSeconds(240));
        Assert.True(world.Verifier().VerifyWithKey(ahead, world.AgentKey.PublicKey).IsValid); // 120 s old is fine
    }

    [Fact]
    public void Defect_05_trust_level_only_from_a_verified_chain_never_from_a_name()
    {
        using var world = new McpsWorld(level: 3);
        var unsigned = world.Passport.ToJsonObject();
        unsigned.Remove("signature");
        var byName = new PassportVerifier(world.Anchors, time: world.Clock).Verify(McpsWorld.Bytes(unsigned));
        Assert.Equal(0, byName.TrustLevel);
        var self = world.Passport.ToJsonObject();
        self["issuer"] = "self";
        Assert.Equal(0, new PassportVerifier(world.Anchors, time: world.Clock).Verify(McpsWorld.Bytes(self)).TrustLevel);
        Assert.Equal(3, new PassportVerifier(world.Anchors, time: world.Clock).Verify(world.Passport.ToCanonicalJson()).TrustLevel);
    }

    [Fact]
    public async Task Defect_06_the_message_is_verified_with_the_verified_passports_key()
    {
        using var world = new McpsWorld();
        using var attacker = SigningKey.Generate(SignatureAlgorithm.ES256);
        var forged = new McpsMessageSigner(attacker, world.Passport.PassportId, world.Clock)
            .Sign(System.Text.Encoding.UTF8.GetBytes(Call), new McpsSignOptions { EmbeddedPassport = world.Passport.ToJsonObject() });
        Assert.Equal(McpsReasons.SignatureMismatch, (await world.Verifier().VerifyAsync(forged)).Reason);
    }

    [Fact]
    public void Defect_07_chains_and_capabilities_are_never_truncated()
    {
        using var world = new McpsWorld();
        var many = world.Passport.ToJsonObject();
        many["agent"]!["capabilities"] = new JsonArray([.. Enumerable.Range(0, 65).Select(i => (JsonNode?)JsonValue.Create($"c{i}"))]);
        Assert.Equal(McpsReasons.TooManyCapabilities, new PassportVerifier(world.Anchors, time: world.Clock).Verify(McpsWorld.Bytes(many)).Reason);
        var deep = world.Passport.ToJsonObject();
        deep["issuer"] = "x";
        deep["issuer_chain"] = new JsonArray([.. Enumerable.Range(0, 6).Select(_ => (JsonNode?)JsonValue.Create("e30="))]);
        Assert.Equal(McpsCode.ChainTooDeep, new PassportVerifier(world.Anchors, time: world.Clock).Verify(McpsWorld.Bytes(deep)).Code);
    }

    [Fact]
    public void Defect_08_tool_signatures_cover_the_whole_tool()
    {
        using var key = SigningKey.Generate(SignatureAlgorithm.ES256);
        var tool = JsonNode.Parse("""{"name":"t","description":"d","inputSchema":{},"annotations":{"destructiveHint":false}}""")!.AsObject();
        ToolSignature.Sign(tool, key, McpsIdentifiers.NewPassportId());
        tool["annotations"]!["destructiveHint"] = true;
        Assert.False(ToolSignature.Verify(tool, key.PublicKey).IsValid);
    }

    [Fact]
    public void Defect_09_numbers_and_strings_that_change_meaning_are_rejected_not_rounded()
    {
        Assert.False(JsonCanonicalizer.TryValidate("{\"amount\":9007199254740993}"u8, CanonicalJsonOptions.Strict, out var number));
        Assert.Equal("unsafe_number", number!.Reason);
        Assert.False(JsonCanonicalizer.TryValidate("{\"a\":\"\\udc00\"}"u8, CanonicalJsonOptions.Strict, out var surrogate));
        Assert.Equal("lone_surrogate", surrogate!.Reason);
        Assert.Equal("{\"a\":\"<&>\u2028\"}", System.Text.Encoding.UTF8.GetString(JsonCanonicalizer.Canonicalize(JsonNode.Parse("{\"a\":\"<&>\\u2028\"}"))));
    }

    [Fact]
    public async Task Defect_10_authority_outage_fails_closed_with_mcps_007()
    {
        using var world = new McpsWorld();
        world.Status.Unreachable = true;
        var result = await world.Verifier().VerifyAsync(world.Sign(Call));
        Assert.Equal(McpsCode.AuthorityUnreachable, result.Code);
        world.Status.Unreachable = false;
        world.Status.Answer = null;
        Assert.Equal(McpsCode.AuthorityUnreachable, (await world.Verifier().VerifyAsync(world.Sign(Call))).Code);
    }

    [Fact]
    public async Task Defect_11_pins_are_never_replaced_unknown_tools_fail_closed_no_high_s_no_self_declared_level()
    {
        var checker = new ToolPinChecker(new InMemoryToolPinStore());
        var tool = JsonNode.Parse("""{"name":"t","description":"d"}""")!.AsObject();
        await checker.CheckListAsync("s", [tool.DeepClone()]);
        tool["description"] = "evil";
        Assert.Single((await checker.CheckListAsync("s", [tool.DeepClone()])).Changed);
        Assert.Single((await checker.CheckListAsync("s", [tool.DeepClone()])).Changed);
        Assert.Equal(McpsReasons.UnpinnedTool, (await checker.CheckCallAsync("s", "unknown"))!.Reason);

        using var key = SigningKey.Generate(SignatureAlgorithm.ES256);
        for (var i = 0; i < 64; i++)
        {
            Assert.True(EcdsaP256.IsLowS(key.Sign(BitConverter.GetBytes(i))));
        }
    }

    [Fact]
    public void Defect_12_signatures_are_random_or_deterministic_and_tests_do_not_depend_on_it()
    {
        // The reference claims RFC 6979 and asserts the opposite; AgentTrust asserts only that both verify.
        using var key = SigningKey.Generate(SignatureAlgorithm.ES256);
        var a = key.Sign("m"u8);
        var b = key.Sign("m"u8);
        Assert.Equal(SignatureStatus.Valid, key.PublicKey.Verify("m"u8, a));
        Assert.Equal(SignatureStatus.Valid, key.PublicKey.Verify("m"u8, b));
        Assert.Equal(SignatureStatus.Mismatch, key.PublicKey.Verify("n"u8, a));
    }
}
