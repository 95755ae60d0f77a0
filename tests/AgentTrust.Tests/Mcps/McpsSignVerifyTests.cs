using System.Text.Json.Nodes;
using AgentTrust.Errors;
using AgentTrust.Mcps;
using AgentTrust.Mcps.Envelopes;
using AgentTrust.Mcps.Passports;
using AgentTrust.Mcps.Replay;

namespace AgentTrust.Tests.Mcps;

/// <summary>Round trips of every message kind in both placements, and the full §6 pipeline.</summary>
public class McpsSignVerifyTests
{
    public static TheoryData<string, EnvelopePlacement> Messages
    {
        get
        {
            var data = new TheoryData<string, EnvelopePlacement>();
            foreach (var placement in new[] { EnvelopePlacement.Meta, EnvelopePlacement.TopLevel })
            {
                data.Add("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"/tmp/x"}}}""", placement);
                data.Add("""{"jsonrpc":"2.0","id":"a","method":"tools/list"}""", placement);
                data.Add("""{"jsonrpc":"2.0","method":"notifications/initialized"}""", placement);
                data.Add("""{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"_meta":{}}}""", placement);
                data.Add("""{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"hi"}]}}""", placement);
                data.Add("""{"jsonrpc":"2.0","id":1,"result":{}}""", placement);
                data.Add("""{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}""", placement);
                data.Add("""{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"x","data":{"detail":1}}}""", placement);
                data.Add("""{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"x","data":"text"}}""", placement);
                data.Add("""{"jsonrpc":"2.0","id":2,"method":"sum","params":[1,2]}""", placement);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public async Task Every_kind_round_trips_through_the_full_pipeline(string json, EnvelopePlacement placement)
    {
        using var world = new McpsWorld();
        var signed = world.Sign(json, world.EmbedPassport with { Placement = placement });
        var parsed = McpsWorld.Parse(signed);

        var expectedPlacement = placement;
        if (json.Contains("\"data\":\"text\"", StringComparison.Ordinal) || json.Contains("[1,2]", StringComparison.Ordinal))
        {
            expectedPlacement = EnvelopePlacement.TopLevel; // P2 impossible without changing the message: P1 fallback.
        }

        Assert.Equal(expectedPlacement == EnvelopePlacement.TopLevel, parsed.ContainsKey("mcps"));
        var result = await world.Verifier().VerifyAsync(signed);
        if (expectedPlacement == EnvelopePlacement.TopLevel && placement == EnvelopePlacement.Meta || placement == EnvelopePlacement.TopLevel)
        {
            // P1 carries no embedded passport: the verifier needs a resolver.
            result = await world.Verifier(nonces: new InMemoryNonceStore(time: world.Clock), resolver: new DictionaryResolver().Add(world.Passport)).VerifyAsync(signed);
        }

        Assert.True(result.IsValid, result.Failure?.ToString());
        Assert.Equal(expectedPlacement, result.Placement);
        Assert.Equal(world.Passport.PassportId, result.PassportId);
        Assert.Equal(2, result.EffectiveTrustLevel);
    }

    [Fact]
    public void Key_mode_verifies_and_signer_emits_the_wire_form()
    {
        using var world = new McpsWorld();
        var signed = McpsWorld.Parse(world.Sign("""{"jsonrpc":"2.0","id":1,"method":"ping"}""", McpsSignOptions.Default));
        var container = (JsonObject)signed["params"]!["_meta"]!["io.agenttrust/mcps"]!;
        Assert.Equal("1.0", (string)container["version"]!);
        Assert.True(McpsIdentifiers.IsNonce((string)container["nonce"]!));
        Assert.Equal(24, ((string)container["timestamp"]!).Length);
        Assert.Equal(88, ((string)container["signature"]!).Length);
        var result = world.Verifier().VerifyWithKey(McpsWorld.Bytes(signed), world.AgentKey.PublicKey);
        Assert.True(result.IsValid);
    }

    [Fact]
    public async Task Unsigned_message_is_reported_or_rejected_per_context()
    {
        using var world = new McpsWorld();
        var message = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}"u8.ToArray();
        var required = await world.Verifier().VerifyAsync(message);
        Assert.Equal((McpsCode.InvalidSignature, McpsReasons.MissingEnvelope), (required.Code!.Value, required.Reason!));
        var optional = await world.Verifier().VerifyAsync(message, new McpsVerificationContext { RequireSignature = false });
        Assert.False(optional.IsValid);
        Assert.True(optional.IsUnsigned);
        Assert.Null(optional.Code);
    }

    [Fact]
    public async Task Self_issued_passport_verifies_at_level_zero_and_fails_a_level_one_minimum()
    {
        using var world = new McpsWorld();
        using var key = AgentTrust.Cryptography.SigningKey.Generate(AgentTrust.Cryptography.SignatureAlgorithm.ES256);
        var self = PassportIssuer.CreateSelfIssued(new PassportRequest { PublicKey = key.PublicKey, AgentName = "me" }, key, world.Clock);
        var signer = new McpsMessageSigner(key, self.PassportId, world.Clock);
        var signed = signer.Sign("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}"u8, new McpsSignOptions { EmbeddedPassport = self.ToJsonObject() });
        var result = await world.Verifier().VerifyAsync(signed);
        Assert.True(result.IsValid, result.Failure?.ToString());
        Assert.Equal(0, result.EffectiveTrustLevel);

        var strict = await world.Verifier(nonces: new InMemoryNonceStore(time: world.Clock)).VerifyAsync(signed, new McpsVerificationContext { MinimumTrustLevel = 1 });
        Assert.Equal(McpsCode.InsufficientTrust, strict.Code);
    }

    [Fact]
    public async Task Status_policy_none_caps_at_level_one_and_required_fails_closed()
    {
        using var world = new McpsWorld(level: 3);
        var signed = world.Sign("""{"jsonrpc":"2.0","id":1,"method":"ping"}""");
        var capped = await world.Verifier(McpsVerifierOptions.Default with { StatusPolicy = StatusPolicy.None }).VerifyAsync(signed);
        Assert.True(capped.IsValid);
        Assert.Equal(1, capped.EffectiveTrustLevel);

        world.Status.Unreachable = true;
        var unreachable = await world.Verifier(nonces: new InMemoryNonceStore(time: world.Clock)).VerifyAsync(world.Sign("""{"jsonrpc":"2.0","id":2,"method":"ping"}"""));
        Assert.Equal((McpsCode.AuthorityUnreachable, McpsReasons.StatusUnavailable), (unreachable.Code!.Value, unreachable.Reason!));

        world.Status.Unreachable = false;
        world.Status.Answer = new PassportStatus(PassportStatusKind.Revoked);
        var revoked = await world.Verifier().VerifyAsync(world.Sign("""{"jsonrpc":"2.0","id":3,"method":"ping"}"""));
        Assert.Equal((McpsCode.PassportRevoked, McpsReasons.Revoked), (revoked.Code!.Value, revoked.Reason!));

        world.Status.Answer = new PassportStatus(PassportStatusKind.Active, CurrentTrustLevel: 1);
        var lowered = await world.Verifier().VerifyAsync(world.Sign("""{"jsonrpc":"2.0","id":4,"method":"ping"}"""));
        Assert.True(lowered.IsValid);
        Assert.Equal(1, lowered.EffectiveTrustLevel);
    }

    [Fact]
    public async Task Audience_origin_reply_and_runtime_checks()
    {
        using var world = new McpsWorld();
        var request = world.Sign("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}""", world.EmbedPassport with { Audience = "https://server-a.example" });
        var wrongAudience = await world.Verifier().VerifyAsync(request, new McpsVerificationContext { ExpectedAudience = "https://server-b.example" });
        Assert.Equal((McpsCode.OriginMismatch, McpsReasons.AudienceMismatch), (wrongAudience.Code!.Value, wrongAudience.Reason!));
        var ok = await world.Verifier().VerifyAsync(request, new McpsVerificationContext { ExpectedAudience = "https://server-a.example", ExpectedOrigin = "https://agent.example.com:443" });
        Assert.True(ok.IsValid, ok.Failure?.ToString());

        var wrongOrigin = await world.Verifier(nonces: new InMemoryNonceStore(time: world.Clock)).VerifyAsync(request, new McpsVerificationContext { ExpectedOrigin = "https://agent.example.com:8443" });
        Assert.Equal(McpsCode.OriginMismatch, wrongOrigin.Code);

        var response = world.Sign("""{"jsonrpc":"2.0","id":1,"result":{}}""", world.EmbedPassport with { ReplyTo = ok.MessageHash });
        var reply = await world.Verifier().VerifyAsync(response, new McpsVerificationContext { ExpectedReplyTo = ok.MessageHash });
        Assert.True(reply.IsValid);
        var otherReply = await world.Verifier().VerifyAsync(world.Sign("""{"jsonrpc":"2.0","id":1,"result":{}}""", world.EmbedPassport with { ReplyTo = new string('0', 64) }), new McpsVerificationContext { ExpectedReplyTo = ok.MessageHash });
        Assert.Equal((McpsCode.InvalidSignature, McpsReasons.ReplyMismatch), (otherReply.Code!.Value, otherReply.Reason!));
    }

    [Fact]
    public async Task Runtime_digest_must_match_the_passport_pin()
    {
        using var world = new McpsWorld();
        var digest = "sha256:" + new string('a', 64);
        var pinned = PassportIssuer.Issue(
            new PassportRequest { PublicKey = world.AgentKey.PublicKey, AgentName = "agent", CodeDigest = digest },
            world.TaKey, PassportIssuerIdentity.Anchor("test-ta"), 2, world.Clock);
        var signer = new McpsMessageSigner(world.AgentKey, pinned.PassportId, world.Clock);
        var withoutRuntime = signer.Sign("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}"u8, new McpsSignOptions { EmbeddedPassport = pinned.ToJsonObject() });
        var result = await world.Verifier().VerifyAsync(withoutRuntime);
        Assert.Equal(McpsCode.CodeAttestationMismatch, result.Code);

        var message = JsonNode.Parse("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\",\"params\":{\"_meta\":{\"io.agenttrust/runtime\":{\"code_digest\":\"" + digest + "\"}}}}")!.AsObject();
        var good = signer.Sign(message, new McpsSignOptions { EmbeddedPassport = pinned.ToJsonObject() });
        Assert.True((await world.Verifier().VerifyAsync(McpsWorld.Bytes(good))).IsValid);
    }

    [Theory]
    [InlineData(StatusPolicy.Required, 9, true)]
    [InlineData(StatusPolicy.Required, 11, false)]
    [InlineData(StatusPolicy.Cached, 11, true)]
    [InlineData(StatusPolicy.Cached, 71, false)]
    public async Task Cached_status_bridges_an_outage_only_as_the_policy_allows(StatusPolicy policy, int minutesLater, bool valid)
    {
        using var world = new McpsWorld();
        world.Status.Answer = new PassportStatus(PassportStatusKind.Active, ValidUntil: McpsWorld.Start.AddMinutes(10));
        var verifier = world.Verifier(McpsVerifierOptions.Default with { StatusPolicy = policy });
        Assert.True((await verifier.VerifyAsync(world.Sign("""{"jsonrpc":"2.0","id":1,"method":"x"}"""))).IsValid);

        world.Status.Unreachable = true;
        world.Clock.Advance(TimeSpan.FromMinutes(minutesLater));
        var result = await verifier.VerifyAsync(world.Sign("""{"jsonrpc":"2.0","id":2,"method":"x"}"""));
        Assert.Equal(valid, result.IsValid);
        if (!valid)
        {
            Assert.Equal(McpsCode.AuthorityUnreachable, result.Code);
        }
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Text_and_object_signing_paths_agree(string json, EnvelopePlacement placement)
    {
        using var world = new McpsWorld();
        var options = new McpsSignOptions { Placement = placement };
        var fromText = world.Signer.Sign(System.Text.Encoding.UTF8.GetBytes(json), options);
        var fromObject = McpsWorld.Bytes(world.Signer.Sign(JsonNode.Parse(json)!.AsObject(), options));
        var a = world.Verifier().VerifyWithKey(fromText, world.AgentKey.PublicKey);
        var b = world.Verifier().VerifyWithKey(fromObject, world.AgentKey.PublicKey);
        Assert.True(a.IsValid, a.Failure?.ToString());
        Assert.True(b.IsValid, b.Failure?.ToString());
        Assert.Equal(a.Placement, b.Placement);
        Assert.Equal(a.MessageHash, b.MessageHash);
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void SignAndHash_returns_the_hash_the_verifier_reports_in_either_placement(string json, EnvelopePlacement placement)
    {
        // The agent side binds answers to this hash (reply-to); it must be the verifier's even after a P1 fallback.
        using var world = new McpsWorld();
        var message = JsonNode.Parse(json)!.AsObject();

        var hash = world.Signer.SignAndHash(message, world.EmbedPassport with { Placement = placement });

        var verified = world.Verifier().VerifyWithKey(McpsWorld.Bytes(message), world.AgentKey.PublicKey);
        Assert.True(verified.IsValid, verified.Failure?.ToString());
        Assert.Equal(verified.MessageHash, hash);
    }
}
