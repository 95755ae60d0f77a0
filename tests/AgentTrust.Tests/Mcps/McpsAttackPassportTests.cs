using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Errors;
using AgentTrust.Mcps;
using AgentTrust.Mcps.Envelopes;
using AgentTrust.Mcps.Passports;
using AgentTrust.Mcps.Replay;

namespace AgentTrust.Tests.Mcps;

/// <summary>Passport forgery and chain abuse, origin binding, key substitution through passports (mcps.md §14 categories 5, 7, 13).</summary>
public class McpsAttackPassportTests
{
    private static PassportVerifier Verifier(McpsWorld world, McpsVerifierOptions? options = null) => new(world.Anchors, options, world.Clock);

    private static AgentPassport Intermediate(McpsWorld world, SigningKey key, PassportIssuerIdentity issuer, SigningKey issuerKey, bool canIssue = true, int level = 3) =>
        PassportIssuer.Issue(new PassportRequest
        {
            PublicKey = key.PublicKey,
            AgentName = "intermediate-" + key.PublicKey.Thumbprint[..6],
            Capabilities = canIssue ? [AgentPassport.IssueCapability] : [],
        }, issuerKey, issuer, level, world.Clock);

    [Fact]
    public void Anchor_issued_passport_verifies_with_level_and_chain_length()
    {
        using var world = new McpsWorld(level: 3);
        var result = Verifier(world).Verify(world.Passport.ToCanonicalJson());
        Assert.True(result.IsValid);
        Assert.True(result.ReachesAnchor);
        Assert.Equal(("test-ta", 1, 3), (result.RootIssuer, result.ChainLength, result.TrustLevel));
    }

    [Fact]
    public void Chain_through_intermediates_verifies_and_more_than_five_ancestors_is_too_deep()
    {
        using var world = new McpsWorld();
        var keys = Enumerable.Range(0, 4).Select(_ => SigningKey.Generate(SignatureAlgorithm.ES256)).ToList();
        try
        {
            // Each chain entry embeds the whole parent (with its own chain), so passports grow ~4/3 per level and the
            // 8192-byte limit is reached before depth 5: depth 3 is what fits with these names.
            var parent = Intermediate(world, keys[0], PassportIssuerIdentity.Anchor("test-ta"), world.TaKey);
            var parentKey = keys[0];
            for (var depth = 2; depth <= 3; depth++)
            {
                var child = Intermediate(world, keys[depth - 1], PassportIssuerIdentity.Intermediate(parent), parentKey);
                var result = Verifier(world).Verify(child.ToCanonicalJson());
                Assert.True(result.IsValid, result.Reason);
                Assert.Equal(depth, result.ChainLength);
                parent = child;
                parentKey = keys[depth - 1];
            }

            // Six ancestors: MCPS-014 before any entry is decoded, never truncated.
            var forged = world.Passport.ToJsonObject();
            forged["issuer"] = "someone";
            forged["issuer_chain"] = new JsonArray([.. Enumerable.Range(0, 6).Select(_ => (JsonNode?)JsonValue.Create("e30="))]);
            var tooDeep = Verifier(world).Verify(PassportIssuer.SignObject(forged, keys[3]).ToCanonicalJson());
            Assert.Equal((McpsCode.ChainTooDeep, McpsReasons.TooDeep), (tooDeep.Code!.Value, tooDeep.Reason!));
        }
        finally
        {
            keys.ForEach(k => k.Dispose());
        }
    }

    [Fact]
    public void Intermediate_without_issue_capability_is_untrusted_by_default_and_accepted_by_compat()
    {
        using var world = new McpsWorld();
        using var mid = SigningKey.Generate(SignatureAlgorithm.ES256);
        using var leafKey = SigningKey.Generate(SignatureAlgorithm.ES256);
        var intermediate = Intermediate(world, mid, PassportIssuerIdentity.Anchor("test-ta"), world.TaKey, canIssue: false, level: 1);
        var leaf = PassportIssuer.Issue(new PassportRequest { PublicKey = leafKey.PublicKey, AgentName = "leaf" }, mid, PassportIssuerIdentity.Intermediate(intermediate), 4, world.Clock);
        var strict = Verifier(world).Verify(leaf.ToCanonicalJson());
        Assert.Equal((McpsCode.InvalidPassport, McpsReasons.UntrustedChain), (strict.Code!.Value, strict.Reason!));
        var compat = Verifier(world, McpsVerifierOptions.McpSecureCompat).Verify(leaf.ToCanonicalJson());
        Assert.True(compat.IsValid);
        Assert.Equal(1, compat.TrustLevel); // capped by the intermediate's own level, whatever the leaf claims
    }

    [Fact]
    public void Self_issued_passport_claiming_l4_is_level_zero()
    {
        using var world = new McpsWorld();
        using var key = SigningKey.Generate(SignatureAlgorithm.ES256);
        var self = PassportIssuer.CreateSelfIssued(new PassportRequest { PublicKey = key.PublicKey, AgentName = "x" }, key, world.Clock).ToJsonObject();
        self["trust_level"] = 4;
        var forged = PassportIssuer.SignObject(self, key);
        var result = Verifier(world).Verify(forged.ToCanonicalJson());
        Assert.True(result.IsValid);
        Assert.True(result.IsSelfIssued);
        Assert.Equal(0, result.TrustLevel);
    }

    [Fact]
    public void Passport_naming_an_anchor_but_signed_by_another_key_is_rejected()
    {
        using var world = new McpsWorld();
        using var attacker = SigningKey.Generate(SignatureAlgorithm.ES256);
        var forged = PassportIssuer.Issue(new PassportRequest { PublicKey = attacker.PublicKey, AgentName = "evil" }, attacker, PassportIssuerIdentity.Anchor("test-ta"), 4, world.Clock);
        var result = Verifier(world).Verify(forged.ToCanonicalJson());
        Assert.Equal((McpsCode.InvalidPassport, McpsReasons.SignatureMismatch), (result.Code!.Value, result.Reason!));
    }

    [Theory]
    [InlineData("trust_level", "4")]
    [InlineData("agent/name", "\"other\"")]
    [InlineData("origin", "\"https://evil.example\"")]
    [InlineData("expires_at", "\"2026-06-01T00:00:00.000Z\"")]
    [InlineData("public_key/x", "\"IuHn5Wod8oVyKSmWj4nL8go4naqV5oFHOqaay9093hk\"")]
    public void Tampering_an_issued_passport_breaks_it(string path, string value)
    {
        using var world = new McpsWorld();
        var json = world.Passport.ToJsonObject();
        var parts = path.Split('/');
        var target = json;
        foreach (var part in parts[..^1])
        {
            target = (JsonObject)target[part]!;
        }

        target[parts[^1]] = JsonNode.Parse(value);
        var result = Verifier(world).Verify(McpsWorld.Bytes(json));
        Assert.False(result.IsValid);
        Assert.Equal(McpsCode.InvalidPassport, result.Code);
    }

    [Fact]
    public void Expiry_size_capabilities_key_and_id_each_have_their_own_code()
    {
        using var world = new McpsWorld();
        world.Clock.Advance(TimeSpan.FromDays(31));
        Assert.Equal(McpsCode.PassportExpired, Verifier(world).Verify(world.Passport.ToCanonicalJson()).Code);
        world.Clock.Set(McpsWorld.Start);

        var big = world.Passport.ToJsonObject();
        big["agent"]!["version"] = new string('1', 200);
        big["padding"] = new string('x', 8192);
        Assert.Equal(McpsCode.PassportTooLarge, Verifier(world).Verify(McpsWorld.Bytes(big)).Code);

        var exactly = world.Passport.ToCanonicalJson();
        var padded = new byte[AgentPassport.MaxBytes];
        Array.Fill(padded, (byte)' ');
        exactly.CopyTo(padded, 0);
        Assert.True(Verifier(world).Verify(padded).IsValid); // 8192 bytes: allowed
        Assert.Equal(McpsCode.PassportTooLarge, Verifier(world).Verify([.. padded, (byte)' ']).Code);

        var caps = world.Passport.ToJsonObject();
        caps["agent"]!["capabilities"] = new JsonArray([.. Enumerable.Range(0, 65).Select(i => (JsonNode?)JsonValue.Create("c" + i))]);
        var capsResult = Verifier(world).Verify(McpsWorld.Bytes(caps));
        Assert.Equal((McpsCode.InvalidPassport, McpsReasons.TooManyCapabilities), (capsResult.Code!.Value, capsResult.Reason!));
        Assert.Throws<ArgumentException>(() => PassportIssuer.CreateSelfIssued(
            new PassportRequest { PublicKey = world.AgentKey.PublicKey, AgentName = "x", Capabilities = [.. Enumerable.Range(0, 65).Select(i => "c" + i)] }, world.AgentKey));

        var badId = world.Passport.ToJsonObject();
        badId["passport_id"] = "asp_E7AF416EB0C4AEBC00A98224EA94217C";
        Assert.Equal(McpsReasons.BadPassportId, Verifier(world).Verify(McpsWorld.Bytes(badId)).Reason);

        var offCurve = world.Passport.ToJsonObject();
        offCurve["public_key"]!["y"] = StrictBase64.EncodeUrl(new byte[32]);
        Assert.Equal(McpsCode.InvalidPassport, Verifier(world).Verify(McpsWorld.Bytes(offCurve)).Code);

        var withPrivate = world.Passport.ToJsonObject();
        withPrivate["public_key"]!["d"] = StrictBase64.EncodeUrl(new byte[32]);
        Assert.Equal(McpsCode.InvalidPassport, Verifier(world).Verify(McpsWorld.Bytes(withPrivate)).Code);

        var lifetime = PassportIssuer.Issue(new PassportRequest { PublicKey = world.AgentKey.PublicKey, AgentName = "a", Lifetime = TimeSpan.FromDays(400) },
            world.TaKey, PassportIssuerIdentity.Anchor("test-ta"), 2, world.Clock);
        Assert.Equal(McpsReasons.BadValidity, Verifier(world).Verify(lifetime.ToCanonicalJson()).Reason);

        var unknownIssuer = PassportIssuer.Issue(new PassportRequest { PublicKey = world.AgentKey.PublicKey, AgentName = "a" },
            world.TaKey, PassportIssuerIdentity.Anchor("nobody"), 2, world.Clock);
        Assert.Equal(McpsReasons.UntrustedChain, Verifier(world).Verify(unknownIssuer.ToCanonicalJson()).Reason);
    }

    [Fact]
    public void Chain_cycles_are_detected()
    {
        using var world = new McpsWorld();
        using var mid = SigningKey.Generate(SignatureAlgorithm.ES256);
        var intermediate = Intermediate(world, mid, PassportIssuerIdentity.Anchor("nobody"), world.TaKey);

        // A child signed by the intermediate, reusing the intermediate's own key: the key repeats in the chain.
        var sameKey = PassportIssuer.Issue(new PassportRequest { PublicKey = mid.PublicKey, AgentName = "loop" }, mid, PassportIssuerIdentity.Intermediate(intermediate), 1, world.Clock);
        Assert.Equal(McpsReasons.ChainCycle, Verifier(world).Verify(sameKey.ToCanonicalJson()).Reason);

        // A child claiming the intermediate's passport_id.
        using var other = SigningKey.Generate(SignatureAlgorithm.ES256);
        var sameId = PassportIssuer.Issue(new PassportRequest { PublicKey = other.PublicKey, AgentName = "loop", PassportId = intermediate.PassportId }, mid, PassportIssuerIdentity.Intermediate(intermediate), 1, world.Clock);
        Assert.Equal(McpsReasons.ChainCycle, Verifier(world).Verify(sameId.ToCanonicalJson()).Reason);
    }

    [Fact]
    public void Chain_entries_must_be_canonical_base64_and_match_the_parents_chain()
    {
        using var world = new McpsWorld();
        using var mid = SigningKey.Generate(SignatureAlgorithm.ES256);
        using var leafKey = SigningKey.Generate(SignatureAlgorithm.ES256);
        var intermediate = Intermediate(world, mid, PassportIssuerIdentity.Anchor("test-ta"), world.TaKey);
        var leaf = PassportIssuer.Issue(new PassportRequest { PublicKey = leafKey.PublicKey, AgentName = "leaf" }, mid, PassportIssuerIdentity.Intermediate(intermediate), 2, world.Clock);
        Assert.True(Verifier(world).Verify(leaf.ToCanonicalJson()).IsValid);

        var lenient = leaf.ToJsonObject();
        lenient["issuer_chain"]![0] = ((string)lenient["issuer_chain"]![0]!).TrimEnd('=') + " ";
        Assert.False(Verifier(world).Verify(PassportIssuer.SignObject(lenient, mid).ToCanonicalJson()).IsValid);

        var extra = leaf.ToJsonObject();
        ((JsonArray)extra["issuer_chain"]!).Add((JsonNode)JsonValue.Create(StrictBase64.Encode(world.Passport.ToCanonicalJson()))!);
        var extraResult = Verifier(world).Verify(PassportIssuer.SignObject(extra, mid).ToCanonicalJson());
        Assert.Equal(McpsReasons.UntrustedChain, extraResult.Reason);
    }

    [Fact]
    public async Task Message_is_verified_with_the_passport_key_not_a_key_the_attacker_chooses()
    {
        using var world = new McpsWorld();
        using var attacker = SigningKey.Generate(SignatureAlgorithm.ES256);

        // The attacker signs with its own key under the victim's passport_id and embeds the victim's passport.
        var signer = new McpsMessageSigner(attacker, world.Passport.PassportId, world.Clock);
        var forged = signer.Sign("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}"u8, new McpsSignOptions { EmbeddedPassport = world.Passport.ToJsonObject() });
        var result = await world.Verifier().VerifyAsync(forged);
        Assert.Equal((McpsCode.InvalidSignature, McpsReasons.SignatureMismatch), (result.Code!.Value, result.Reason!));

        // A self-issued passport reusing the victim's id: it verifies only at level 0, so any L1+ method refuses it.
        var self = PassportIssuer.CreateSelfIssued(new PassportRequest { PublicKey = attacker.PublicKey, AgentName = "agent", PassportId = world.Passport.PassportId }, attacker, world.Clock);
        var impostor = signer.Sign("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"x\"}"u8, new McpsSignOptions { EmbeddedPassport = self.ToJsonObject() });
        var level = await world.Verifier().VerifyAsync(impostor, new McpsVerificationContext { MinimumTrustLevel = 1 });
        Assert.Equal(McpsCode.InsufficientTrust, level.Code);

        // An embedded passport for another id is ignored; with nothing else to resolve, the passport is unknown.
        var mismatch = new McpsMessageSigner(world.AgentKey, McpsIdentifiers.NewPassportId(), world.Clock)
            .Sign("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"x\"}"u8, new McpsSignOptions { EmbeddedPassport = world.Passport.ToJsonObject() });
        var unknown = await world.Verifier().VerifyAsync(mismatch);
        Assert.Equal((McpsCode.InvalidPassport, McpsReasons.UnknownPassport), (unknown.Code!.Value, unknown.Reason!));

        var resolver = new DictionaryResolver { Unreachable = true };
        var unreachable = await world.Verifier(resolver: resolver).VerifyAsync(mismatch);
        Assert.Equal(McpsCode.AuthorityUnreachable, unreachable.Code);
    }

    [Theory]
    [InlineData("https://agent.example.com", "https://agent.example.com:443", true)]
    [InlineData("https://agent.example.com:443", "https://AGENT.example.com/", true)]
    [InlineData("http://agent.example.com:80", "http://agent.example.com", true)]
    [InlineData("https://agent.example.com", "http://agent.example.com", false)]
    [InlineData("https://agent.example.com", "https://sub.agent.example.com", false)]
    [InlineData("https://agent.example.com", "https://agent.example.com:8443", false)]
    [InlineData("https://agent.example.com", "https://agent.example.com.evil.com", false)]
    [InlineData("https://agent.example.com/path", "https://agent.example.com", false)]
    [InlineData("https://user@agent.example.com", "https://agent.example.com", false)]
    [InlineData("https://agent.example.com?q=1", "https://agent.example.com", false)]
    [InlineData(null, "https://agent.example.com", false)]
    [InlineData("ftp://agent.example.com", "ftp://agent.example.com", false)]
    public void Origin_binding_follows_whatwg_equality(string? passportOrigin, string expected, bool match)
    {
        var failure = McpsOrigin.Check(passportOrigin, expected);
        Assert.Equal(match, failure is null);
        if (!match)
        {
            Assert.Equal(McpsCode.OriginMismatch, failure!.Code);
        }
    }

    [Fact]
    public void Key_rotation_link_hashes_the_previous_spki_pem()
    {
        using var world = new McpsWorld();
        var old = McpsVectors.PublicKey("agent");
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.ASCII.GetBytes((string)McpsVectors.Document["keys"]!["agent"]!["public_spki_pem"]!)));
        Assert.Equal(expected, PassportIssuer.PreviousKeyHash(old));
        var rotated = PassportIssuer.Issue(new PassportRequest { PublicKey = world.AgentKey.PublicKey, AgentName = "agent", PreviousKey = old },
            world.TaKey, PassportIssuerIdentity.Anchor("test-ta"), 2, world.Clock);
        Assert.Equal(expected, (string)rotated.ToJsonObject()["key_rotation"]!["previous_key_hash"]!);
        Assert.True(Verifier(world).Verify(rotated.ToCanonicalJson()).IsValid);
    }

    [Fact]
    public void Countersigning_a_self_issued_passport_is_how_a_trust_authority_issues()
    {
        using var world = new McpsWorld();
        using var key = SigningKey.Generate(SignatureAlgorithm.ES256);
        var self = PassportIssuer.CreateSelfIssued(new PassportRequest { PublicKey = key.PublicKey, AgentName = "registrant", Origin = "https://r.example" }, key, world.Clock);
        var issued = PassportIssuer.Countersign(self, world.TaKey, PassportIssuerIdentity.Anchor("test-ta"), 2);
        Assert.Equal(self.PassportId, issued.PassportId);
        var result = Verifier(world).Verify(issued.ToCanonicalJson());
        Assert.True(result.IsValid);
        Assert.Equal(2, result.TrustLevel);
    }

    [Fact]
    public async Task Trust_anchor_level_cap_limits_the_effective_level()
    {
        using var world = new McpsWorld(level: 4);
        var capped = new PassportTrustStore().Add("test-ta", world.TaKey.PublicKey, maxTrustLevel: 2);
        var verifier = new McpsMessageVerifier(McpsVerifierOptions.Default, world.Clock, capped, new InMemoryNonceStore(time: world.Clock), null, world.Status);
        var result = await verifier.VerifyAsync(world.Sign("""{"jsonrpc":"2.0","id":1,"method":"x"}"""));
        Assert.True(result.IsValid);
        Assert.Equal(2, result.EffectiveTrustLevel);
        var denied = await verifier.VerifyAsync(world.Sign("""{"jsonrpc":"2.0","id":2,"method":"x"}"""), new McpsVerificationContext { MinimumTrustLevel = 3 });
        Assert.Equal(McpsCode.InsufficientTrust, denied.Code);
    }

    [Fact]
    public async Task A_cached_passport_chain_still_expires()
    {
        using var world = new McpsWorld();
        var verifier = world.Verifier(McpsVerifierOptions.Default with { StatusPolicy = StatusPolicy.None });
        Assert.True((await verifier.VerifyAsync(world.Sign("""{"jsonrpc":"2.0","id":1,"method":"x"}"""))).IsValid);
        world.Clock.Advance(TimeSpan.FromDays(30));
        var expired = await verifier.VerifyAsync(world.Sign("""{"jsonrpc":"2.0","id":2,"method":"x"}"""));
        Assert.Equal(McpsCode.PassportExpired, expired.Code);
    }

    [Fact]
    public async Task A_passport_changed_after_a_verified_one_misses_the_passport_cache()
    {
        // The verifier remembers verified passports by their exact bytes: the same passport id and key with one field
        // changed (the issuer's signature no longer covers it) must be verified again, and refused, never served from
        // the entry of the genuine passport.
        using var world = new McpsWorld(level: 2);
        var verifier = world.Verifier();
        Assert.True((await verifier.VerifyAsync(world.Sign("""{"jsonrpc":"2.0","id":1,"method":"x"}"""))).IsValid);
        var raised = world.Passport.ToJsonObject();
        raised["trust_level"] = 4;
        var forged = await verifier.VerifyAsync(world.Sign("""{"jsonrpc":"2.0","id":2,"method":"x"}""", new McpsSignOptions { EmbeddedPassport = raised }));
        Assert.False(forged.IsValid);
        Assert.Equal((McpsCode.InvalidPassport, McpsReasons.SignatureMismatch), (forged.Code, forged.Reason));

        // And the genuine passport still verifies afterwards (the refusal did not poison the entry).
        Assert.True((await verifier.VerifyAsync(world.Sign("""{"jsonrpc":"2.0","id":3,"method":"x"}"""))).IsValid);
    }

    [Fact]
    public async Task A_passport_is_remembered_only_once_a_message_it_signed_has_verified()
    {
        // Anyone can embed a valid passport (or a self-issued one) in a message with a junk signature: such messages
        // must not fill the verifier's cache of passports, nor push out the ones in use.
        using var world = new McpsWorld(level: 2);
        using var stranger = SigningKey.Generate(SignatureAlgorithm.ES256);
        var verifier = world.Verifier();
        var junk = new McpsMessageSigner(stranger, world.Passport.PassportId, world.Clock)
            .Sign(System.Text.Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":1,"method":"x"}"""), world.EmbedPassport);
        var refused = await verifier.VerifyAsync(junk);
        Assert.False(refused.IsValid);
        Assert.Equal(McpsCode.InvalidSignature, refused.Code);
        Assert.Equal(0, verifier.RememberedPassports);

        Assert.True((await verifier.VerifyAsync(world.Sign("""{"jsonrpc":"2.0","id":2,"method":"x"}"""))).IsValid);
        Assert.Equal(1, verifier.RememberedPassports);
    }

    [Fact]
    public async Task An_embedded_passport_with_non_ascii_text_verifies_and_a_changed_one_is_refused()
    {
        // Passports whose canonical text is not plain ASCII take the re-serialising path: same outcome as plain ones.
        using var world = new McpsWorld(level: 2);
        using var key = SigningKey.Generate(SignatureAlgorithm.ES256);
        var passport = PassportIssuer.Issue(new PassportRequest { PublicKey = key.PublicKey, AgentName = "agënt \"ü\" <1>", Capabilities = ["tools/call"] },
            world.TaKey, PassportIssuerIdentity.Anchor("test-ta"), 2, world.Clock);
        var signer = new McpsMessageSigner(key, passport.PassportId, world.Clock);
        var verifier = world.Verifier();
        byte[] Sign(string json, JsonObject embedded) => signer.Sign(System.Text.Encoding.UTF8.GetBytes(json), new McpsSignOptions { EmbeddedPassport = embedded });
        var genuine = await verifier.VerifyAsync(Sign("""{"jsonrpc":"2.0","id":1,"method":"x"}""", passport.ToJsonObject()));
        Assert.True(genuine.IsValid, genuine.Reason);
        Assert.Equal(2, genuine.EffectiveTrustLevel);
        var renamed = passport.ToJsonObject();
        renamed["agent"]!["name"] = "agënt \"ü\" <2>";
        var forged = await verifier.VerifyAsync(Sign("""{"jsonrpc":"2.0","id":2,"method":"x"}""", renamed));
        Assert.Equal((McpsCode.InvalidPassport, McpsReasons.SignatureMismatch), (forged.Code, forged.Reason));
    }
}
