using System.Text;
using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Errors;
using AgentTrust.Mcps;
using AgentTrust.Mcps.Envelopes;
using AgentTrust.Mcps.Replay;

namespace AgentTrust.Tests.Mcps;

/// <summary>
/// Attacker-side tests of the envelope (mcps.md §14 categories 2–6, 9, 11, 12, 18): tampering of each field,
/// timestamps, malleability and encodings, canonicalisation tricks, key substitution, protocol abuse, channel binding.
/// </summary>
public class McpsAttackEnvelopeTests
{
    private const string Call = """{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"transfer","arguments":{"amount":100,"to":"alice"}}}""";

    private static (McpsWorld World, JsonObject Signed) SignedCall(EnvelopePlacement placement = EnvelopePlacement.Meta, string? channelBinding = null)
    {
        var world = new McpsWorld();
        var signed = McpsWorld.Parse(world.Sign(Call, new McpsSignOptions { Placement = placement, ChannelBinding = channelBinding }));
        return (world, signed);
    }

    private static JsonObject Container(JsonObject message) =>
        (JsonObject)(message["mcps"] ?? message["params"]!["_meta"]!["io.agenttrust/mcps"]!);

    private static McpsVerificationResult Verify(McpsWorld world, JsonNode message, McpsVerifierOptions? options = null, string? channelBinding = null) =>
        world.Verifier(options).VerifyWithKey(McpsWorld.Bytes(message), world.AgentKey.PublicKey, new McpsVerificationContext { ChannelBinding = channelBinding });

    private static McpsVerificationResult VerifyText(McpsWorld world, string text, McpsVerifierOptions? options = null) =>
        world.Verifier(options).VerifyWithKey(System.Text.Encoding.UTF8.GetBytes(text), world.AgentKey.PublicKey);

    private static void AssertFails(McpsVerificationResult result, McpsCode code, string? reason = null)
    {
        Assert.False(result.IsValid);
        Assert.Equal(code, result.Code);
        if (reason is not null)
        {
            Assert.Equal(reason, result.Reason);
        }
    }

    // ---- Tampering of each field ------------------------------------------------------------------------------

    [Theory]
    [InlineData("method", "\"tools/list\"")]
    [InlineData("id", "\"7\"")]
    [InlineData("jsonrpc", "\"2.1\"")]
    [InlineData("params/name", "\"delete\"")]
    [InlineData("params/arguments/amount", "1000")]
    [InlineData("params/arguments/amount", "100.0000001")]
    [InlineData("params/arguments/to", "\"mallory\"")]
    [InlineData("params/arguments/extra", "true")]
    [InlineData("params/_meta/progressToken", "1")]
    [InlineData("extra", "1")]
    public void Tampering_any_body_member_fails(string path, string newValue)
    {
        var (world, signed) = SignedCall();
        using var _ = world;
        var parts = path.Split('/');
        JsonObject target = signed;
        foreach (var part in parts[..^1])
        {
            target = (JsonObject)target[part]!;
        }

        target[parts[^1]] = JsonNode.Parse(newValue);
        AssertFails(Verify(world, signed), McpsCode.InvalidSignature, McpsReasons.SignatureMismatch);
    }

    [Theory]
    [InlineData("params/arguments/to")]
    [InlineData("params/arguments")]
    [InlineData("id")]
    public void Removing_a_body_member_fails(string path)
    {
        var (world, signed) = SignedCall();
        using var _ = world;
        var parts = path.Split('/');
        JsonObject target = signed;
        foreach (var part in parts[..^1])
        {
            target = (JsonObject)target[part]!;
        }

        target.Remove(parts[^1]);
        Assert.False(Verify(world, signed).IsValid);
    }

    [Fact]
    public void Tampering_nonce_or_timestamp_fails_and_passport_id_is_checked_for_format_first()
    {
        var (world, signed) = SignedCall();
        using var _ = world;
        var nonce = (JsonObject)signed.DeepClone();
        Container(nonce)["nonce"] = new string('0', 32);
        AssertFails(Verify(world, nonce), McpsCode.InvalidSignature, McpsReasons.SignatureMismatch);

        var timestamp = (JsonObject)signed.DeepClone();
        Container(timestamp)["timestamp"] = McpsTimestamp.Format(McpsWorld.Start.AddSeconds(1));
        AssertFails(Verify(world, timestamp), McpsCode.InvalidSignature, McpsReasons.SignatureMismatch);

        var id = (JsonObject)signed.DeepClone();
        Container(id)["passport_id"] = McpsIdentifiers.NewPassportId();
        AssertFails(Verify(world, id), McpsCode.InvalidSignature, McpsReasons.SignatureMismatch);

        var badId = (JsonObject)signed.DeepClone();
        Container(badId)["passport_id"] = "asp_attacker";
        AssertFails(Verify(world, badId), McpsCode.InvalidPassport, McpsReasons.BadPassportId);

        var upperNonce = (JsonObject)signed.DeepClone();
        Container(upperNonce)["nonce"] = ((string)Container(signed)["nonce"]!).ToUpperInvariant() is var u && u.Any(char.IsLetter) ? u : "G" + u[1..];
        AssertFails(Verify(world, upperNonce), McpsCode.InvalidSignature, McpsReasons.BadNonce);
    }

    [Fact]
    public void Version_is_checked_against_supported_and_negotiated_versions()
    {
        var (world, signed) = SignedCall();
        using var _ = world;
        Container(signed)["version"] = "1.0.0"; // insignificant trailing .0: still 1.0
        Assert.True(Verify(world, signed).IsValid);
        Container(signed)["version"] = "2.0";
        AssertFails(Verify(world, signed), McpsCode.VersionMismatch, McpsReasons.UnsupportedVersion);

        Container(signed)["version"] = "1.0";
        var negotiated = world.Verifier().VerifyWithKey(McpsWorld.Bytes(signed), world.AgentKey.PublicKey, new McpsVerificationContext { NegotiatedVersion = "1.1" });
        AssertFails(negotiated, McpsCode.VersionMismatch);
    }

    // ---- Timestamps -------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(-300_000, false, "too_old")]    // exactly 5 minutes old: rejected (exclusive boundary)
    [InlineData(-299_999, true, null)]
    [InlineData(59_999, true, null)]
    [InlineData(60_000, false, "too_new")]      // exactly the default future skew: rejected
    [InlineData(4 * 60_000, false, "too_new")]
    public void Window_boundaries_are_exclusive(long offsetMs, bool valid, string? reason)
    {
        using var world = new McpsWorld();
        world.Clock.Set(McpsWorld.Start.AddMilliseconds(offsetMs));
        var signed = world.Sign(Call, McpsSignOptions.Default);
        world.Clock.Set(McpsWorld.Start);
        var result = world.Verifier().VerifyWithKey(signed, world.AgentKey.PublicKey);
        Assert.Equal(valid, result.IsValid);
        Assert.Equal(reason, result.Reason);
    }

    [Fact]
    public void Compat_profile_has_a_symmetric_five_minute_window()
    {
        using var world = new McpsWorld();
        world.Clock.Set(McpsWorld.Start.AddSeconds(299));
        var signed = world.Sign(Call, McpsSignOptions.Default);
        world.Clock.Set(McpsWorld.Start);
        Assert.True(world.Verifier(McpsVerifierOptions.McpSecureCompat).VerifyWithKey(signed, world.AgentKey.PublicKey).IsValid);
        AssertFails(world.Verifier().VerifyWithKey(signed, world.AgentKey.PublicKey), McpsCode.TimestampOutOfWindow, McpsReasons.TooNew);
    }

    [Theory]
    [InlineData("2099-01-01T00:00:00.000Z", "too_new")]
    [InlineData("1970-01-01T00:00:00.000Z", "too_old")]
    [InlineData("", "bad_timestamp")]
    [InlineData("NaN", "bad_timestamp")]
    [InlineData("2026-01-15T12:00:00.000+00:00", "bad_timestamp")]
    [InlineData("2026-01-15T12:00:00.000z", "bad_timestamp")]
    [InlineData("2026-01-15 12:00:00.000Z", "bad_timestamp")]
    [InlineData("2026-01-15", "bad_timestamp")]
    [InlineData("Thu, 15 Jan 2026 12:00:00 GMT", "bad_timestamp")]
    [InlineData("2026-02-30T12:00:00.000Z", "bad_timestamp")]
    [InlineData("2026-01-15T23:59:60.000Z", "bad_timestamp")]
    [InlineData("2026-01-15T12:00:00.0000000000Z", "bad_timestamp")]
    [InlineData(" 2026-01-15T12:00:00.000Z", "bad_timestamp")]
    [InlineData("+02026-01-15T12:00:00.000Z", "bad_timestamp")]
    public void Timestamp_formats_are_strict(string timestamp, string reason)
    {
        var (world, signed) = SignedCall();
        using var _ = world;
        Container(signed)["timestamp"] = timestamp;
        AssertFails(Verify(world, signed), McpsCode.TimestampOutOfWindow, reason);
    }

    [Theory]
    [InlineData("1768478400000")]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("{}")]
    public void Non_string_timestamp_is_a_bad_field(string value)
    {
        var (world, signed) = SignedCall();
        using var _ = world;
        Container(signed)["timestamp"] = JsonNode.Parse(value);
        AssertFails(Verify(world, signed), McpsCode.InvalidSignature, McpsReasons.BadField);
    }

    [Fact]
    public void Accepted_timestamp_formats_include_fraction_lengths_one_to_nine()
    {
        Assert.True(McpsTimestamp.TryParse("2026-01-15T12:00:00Z", out _));
        Assert.True(McpsTimestamp.TryParse("2026-01-15T12:00:00.1Z", out _));
        Assert.True(McpsTimestamp.TryParse("2026-01-15T12:00:00.123456789Z", out var nine));
        Assert.Equal(new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero).AddTicks(1234567), nine);
        Assert.True(McpsTimestamp.TryParse("2024-02-29T00:00:00.000Z", out _));
        Assert.False(McpsTimestamp.TryParse("2025-02-29T00:00:00.000Z", out _));
    }

    // ---- Malleability and signature encodings -----------------------------------------------------------------

    [Fact]
    public void High_s_twin_is_rejected_by_default_and_accepted_only_by_the_compat_switch()
    {
        var (world, signed) = SignedCall();
        using var _ = world;
        var container = Container(signed);
        Assert.True(StrictBase64.TryDecode((string)container["signature"]!, out var signature));
        Assert.True(EcdsaP256.IsLowS(signature));
        var high = HighSTwin(signature);
        container["signature"] = StrictBase64.Encode(high);
        AssertFails(Verify(world, signed), McpsCode.InvalidSignature, McpsReasons.HighS);
        Assert.True(Verify(world, signed, McpsVerifierOptions.Default with { AcceptHighS = true }).IsValid);
    }

    [Fact]
    public void Every_non_canonical_text_form_of_a_valid_signature_is_rejected()
    {
        var (world, signed) = SignedCall();
        using var _ = world;
        var text = (string)Container(signed)["signature"]!;
        Assert.True(StrictBase64.TryDecode(text, out var bytes));
        var forms = new List<string>
        {
            text.TrimEnd('='),
            Base64Url(bytes),
            text[..40] + "\n" + text[40..],
            " " + text,
            text + "\t",
            text.ToUpperInvariant() == text ? text.ToLowerInvariant() : text.ToUpperInvariant(),
            Convert.ToHexString(bytes),
            text[..85] + SetTrailingBits(text[85]) + "==",
        };
        foreach (var form in forms.Where(f => f != text))
        {
            var copy = (JsonObject)signed.DeepClone();
            Container(copy)["signature"] = form;
            var result = Verify(world, copy);
            Assert.False(result.IsValid, form);
            Assert.Equal(McpsCode.InvalidSignature, result.Code);
        }
    }

    [Theory]
    [InlineData(0)]   // empty
    [InlineData(32)]
    [InlineData(63)]
    [InlineData(65)]
    [InlineData(128)]
    public void Wrong_signature_lengths_are_rejected(int length)
    {
        var (world, signed) = SignedCall();
        using var _ = world;
        Container(signed)["signature"] = StrictBase64.Encode(new byte[length].Select((_, i) => (byte)(i + 1)).ToArray());
        AssertFails(Verify(world, signed), McpsCode.InvalidSignature, McpsReasons.BadSignatureEncoding);
    }

    [Fact]
    public void Out_of_range_r_or_s_and_der_signatures_are_rejected_never_converted()
    {
        var (world, signed) = SignedCall();
        using var _ = world;
        var container = Container(signed);
        Assert.True(StrictBase64.TryDecode((string)container["signature"]!, out var signature));
        var order = Convert.FromHexString("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
        foreach (var mutate in new Action<byte[]>[] { s => s.AsSpan(0, 32).Clear(), s => s.AsSpan(32).Clear(), s => order.CopyTo(s, 0), s => s.AsSpan().Clear() })
        {
            var copy = (byte[])signature.Clone();
            mutate(copy);
            container["signature"] = StrictBase64.Encode(copy);
            AssertFails(Verify(world, signed), McpsCode.InvalidSignature, McpsReasons.BadSignatureEncoding);
        }

        container["signature"] = StrictBase64.Encode(EcdsaP256.ConvertP1363ToDer(signature));
        AssertFails(Verify(world, signed), McpsCode.InvalidSignature, McpsReasons.BadSignatureEncoding);
    }

    [Theory]
    [InlineData("")]
    [InlineData("3045022100")]                                                             // truncated
    [InlineData("3044022060c1e133a71066595c56fa246ddd3cac284592b734c2641e3137058df6fbae8a02203404c04b556f9c2ccea4347c1c817d00dd3ff9050851d7ac5ab1d04479c3e26b00")] // trailing byte
    [InlineData("304502210060c1e133a71066595c56fa246ddd3cac284592b734c2641e3137058df6fbae8a02203404c04b556f9c2ccea4347c1c817d00dd3ff9050851d7ac5ab1d04479c3e26b")] // non-minimal r
    [InlineData("30440220e0c1e133a71066595c56fa246ddd3cac284592b734c2641e3137058df6fbae8a02203404c04b556f9c2ccea4347c1c817d00dd3ff9050851d7ac5ab1d04479c3e26b")]   // negative r
    public void Der_to_p1363_rejects_malformed_der(string derHex)
    {
        Assert.False(EcdsaP256.TryConvertDerToP1363(Convert.FromHexString(derHex), new byte[64]));
    }

    // ---- Canonicalisation tricks ------------------------------------------------------------------------------

    [Fact]
    public void Reordering_and_pretty_printing_keep_the_signature_valid()
    {
        var (world, signed) = SignedCall();
        using var _ = world;
        var reordered = new JsonObject();
        foreach (var key in signed.Select(p => p.Key).Reverse().ToList())
        {
            reordered[key] = signed[key]!.DeepClone();
        }

        var pretty = reordered.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        Assert.True(VerifyText(world, pretty).IsValid);
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":7,"id":8,"method":"ping"}""", McpsCode.NonCanonicalInput, "duplicate_member")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"ping","params":{"a":{"b":1,"b":2}}}""", McpsCode.NonCanonicalInput, "duplicate_member")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"ping","params":{"a":"\ud800"}}""", McpsCode.NonCanonicalInput, "lone_surrogate")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"ping","params":{"a":9007199254740993}}""", McpsCode.NonCanonicalInput, "unsafe_number")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"ping","params":{"a":18446744073709551615}}""", McpsCode.NonCanonicalInput, "unsafe_number")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"ping","params":{"a":1e400}}""", McpsCode.NonCanonicalInput, null)]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"ping","params":{"a":NaN}}""", McpsCode.NonCanonicalInput, null)]
    [InlineData("""[{"jsonrpc":"2.0","id":7,"method":"ping"}]""", McpsCode.InvalidSignature, "bad_field")]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"ping"} {}""", McpsCode.NonCanonicalInput, null)]
    public void Inputs_jcs_cannot_represent_are_rejected_before_any_envelope_work(string json, McpsCode code, string? reason)
    {
        using var world = new McpsWorld();
        AssertFails(VerifyText(world, json), code, reason);
    }

    [Fact]
    public void Duplicate_top_level_mcps_is_rejected()
    {
        var (world, signed) = SignedCall(EnvelopePlacement.TopLevel);
        using var _ = world;
        var text = signed.ToJsonString();
        var duplicated = "{\"mcps\":" + signed["mcps"]!.ToJsonString() + "," + text[1..];
        AssertFails(VerifyText(world, duplicated), McpsCode.NonCanonicalInput, "duplicate_member");
    }

    [Fact]
    public void Invalid_utf8_is_rejected()
    {
        using var world = new McpsWorld();
        var bytes = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"p\u00e9ing\"}"u8.ToArray();
        bytes[Array.IndexOf(bytes, (byte)0xC3)] = 0xFF; // a lone 0xFF inside a string: invalid UTF-8, valid JSON otherwise
        AssertFails(world.Verifier().VerifyWithKey(bytes, world.AgentKey.PublicKey), McpsCode.NonCanonicalInput, "invalid_utf8");
    }

    [Theory]
    [InlineData("\u0000nul", "__proto__")]
    [InlineData("</script>&", "constructor")]
    [InlineData("cafe\u0301", "\uffff")]
    [InlineData("", "")]
    public void Special_strings_and_keys_sign_and_verify(string value, string key)
    {
        using var world = new McpsWorld();
        var message = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "x", ["params"] = new JsonObject { [key] = value, ["n"] = -0.0 } };
        var signed = world.Signer.Sign(McpsWorld.Bytes(message));
        Assert.True(world.Verifier().VerifyWithKey(signed, world.AgentKey.PublicKey).IsValid);
    }

    [Fact]
    public void Nfc_and_nfd_are_different_content()
    {
        using var world = new McpsWorld();
        var signed = McpsWorld.Parse(world.Sign("""{"jsonrpc":"2.0","id":1,"method":"x","params":{"name":"café"}}""", McpsSignOptions.Default));
        signed["params"]!["name"] = "cafe\u0301";
        AssertFails(Verify(world, signed), McpsCode.InvalidSignature, McpsReasons.SignatureMismatch);
    }

    [Fact]
    public void Size_and_depth_bounds_apply_before_parsing()
    {
        using var world = new McpsWorld();
        var deep = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":" + new string('[', 100) + new string(']', 100) + "}";
        AssertFails(VerifyText(world, deep), McpsCode.InputLimitExceeded, "too_deep");

        var small = McpsVerifierOptions.Default with { Json = AgentTrust.Json.CanonicalJsonOptions.Strict with { MaxInputBytes = 1024 } };
        var big = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":{\"a\":\"" + new string('x', 2000) + "\"}}";
        AssertFails(VerifyText(world, big, small), McpsCode.InputLimitExceeded, "too_large");
    }

    // ---- Key substitution ---------------------------------------------------------------------------------------

    [Fact]
    public void Wrong_key_fails()
    {
        var (world, signed) = SignedCall();
        using var _ = world;
        using var other = SigningKey.Generate(SignatureAlgorithm.ES256);
        var result = world.Verifier().VerifyWithKey(McpsWorld.Bytes(signed), other.PublicKey);
        AssertFails(result, McpsCode.InvalidSignature, McpsReasons.SignatureMismatch);
        var ed = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        AssertFails(world.Verifier().VerifyWithKey(McpsWorld.Bytes(signed), ed.PublicKey), McpsCode.InvalidSignature);
        ed.Dispose();
    }

    [Fact]
    public void Fields_mixed_from_two_envelopes_fail()
    {
        using var world = new McpsWorld();
        var first = McpsWorld.Parse(world.Sign(Call, McpsSignOptions.Default));
        var second = McpsWorld.Parse(world.Sign(Call, McpsSignOptions.Default));
        Container(first)["signature"] = Container(second)["signature"]!.DeepClone();
        AssertFails(Verify(world, first), McpsCode.InvalidSignature, McpsReasons.SignatureMismatch);

        var third = McpsWorld.Parse(world.Sign(Call, McpsSignOptions.Default));
        Container(third)["nonce"] = Container(second)["nonce"]!.DeepClone();
        AssertFails(Verify(world, third), McpsCode.InvalidSignature, McpsReasons.SignatureMismatch);
    }

    [Fact]
    public void A_signature_cannot_move_to_another_message()
    {
        using var world = new McpsWorld();
        var signed = McpsWorld.Parse(world.Sign(Call, new McpsSignOptions { Placement = EnvelopePlacement.TopLevel }));
        var other = JsonNode.Parse("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"transfer","arguments":{"amount":100000,"to":"mallory"}}}""")!.AsObject();
        other["mcps"] = signed["mcps"]!.DeepClone();
        AssertFails(Verify(world, other), McpsCode.InvalidSignature, McpsReasons.SignatureMismatch);
    }

    // ---- Protocol -------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("null")]
    [InlineData("\"x\"")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("""{"version":"1.0","passport_id":"asp_e7af416eb0c4aebc00a98224ea94217c","nonce":"a8f5132cc64d5b484e02bbd9278204ad","timestamp":"2026-01-15T12:00:00.000Z","signature":null}""")]
    public void Malformed_containers_are_bad_fields(string container)
    {
        using var world = new McpsWorld();
        var message = JsonNode.Parse(Call)!.AsObject();
        message["mcps"] = JsonNode.Parse(container);
        AssertFails(Verify(world, message), McpsCode.InvalidSignature, McpsReasons.BadField);
    }

    [Fact]
    public void Both_placements_are_ambiguous()
    {
        var (world, signed) = SignedCall();
        using var _ = world;
        signed["mcps"] = Container(signed).DeepClone();
        AssertFails(Verify(world, signed), McpsCode.InvalidSignature, McpsReasons.AmbiguousEnvelope);
    }

    [Fact]
    public void Non_object_meta_is_bad_meta()
    {
        using var world = new McpsWorld();
        AssertFails(VerifyText(world, """{"jsonrpc":"2.0","id":1,"method":"x","params":{"_meta":[1]}}"""), McpsCode.InvalidSignature, McpsReasons.BadMeta);
    }

    [Fact]
    public void Stripping_the_signature_leaves_an_unsigned_message_that_is_rejected()
    {
        var (world, signed) = SignedCall();
        using var _ = world;
        ((JsonObject)signed["params"]!["_meta"]!).Remove("io.agenttrust/mcps");
        AssertFails(Verify(world, signed), McpsCode.InvalidSignature, McpsReasons.MissingEnvelope);
    }

    [Fact]
    public void Extra_container_members_are_ignored_and_unsigned()
    {
        var (world, signed) = SignedCall();
        using var _ = world;
        Container(signed)["alg"] = "none";
        Container(signed)["kid"] = "attacker";
        Assert.True(Verify(world, signed).IsValid);
    }

    [Fact]
    public void Nested_mcps_inside_params_is_signed_content()
    {
        using var world = new McpsWorld();
        var signed = McpsWorld.Parse(world.Sign("""{"jsonrpc":"2.0","id":1,"method":"x","params":{"mcps":{"version":"1.0"}}}""", new McpsSignOptions { Placement = EnvelopePlacement.TopLevel }));
        Assert.True(Verify(world, signed).IsValid);
        signed["params"]!["mcps"]!["version"] = "9.9";
        AssertFails(Verify(world, signed), McpsCode.InvalidSignature, McpsReasons.SignatureMismatch);
    }

    [Fact]
    public void Other_meta_members_are_signed_content()
    {
        using var world = new McpsWorld();
        var signed = McpsWorld.Parse(world.Sign("""{"jsonrpc":"2.0","id":1,"method":"x","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","progressToken":5}}}""", McpsSignOptions.Default));
        Assert.True(Verify(world, signed).IsValid);
        signed["params"]!["_meta"]!["io.modelcontextprotocol/protocolVersion"] = "2024-11-05";
        AssertFails(Verify(world, signed), McpsCode.InvalidSignature, McpsReasons.SignatureMismatch);
    }

    [Fact]
    public void Foreign_formats_are_refused_with_a_clear_reason()
    {
        using var world = new McpsWorld();
        AssertFails(VerifyText(world, """{"smcp":{"v":"1.0"},"message":{"jsonrpc":"2.0","id":1,"method":"x"}}"""), McpsCode.InvalidSignature, McpsReasons.ForeignFormat);
        AssertFails(VerifyText(world, """{"mcps_version":"1.0","message":{"jsonrpc":"2.0","id":1,"method":"x"},"signature":"00"}"""), McpsCode.InvalidSignature, McpsReasons.ForeignFormat);
    }

    // ---- Channel binding -------------------------------------------------------------------------------------------

    [Fact]
    public void Channel_binding_must_match_in_both_directions()
    {
        var (world, signed) = SignedCall(channelBinding: "tls-exporter:aa");
        using var _ = world;
        Assert.True(Verify(world, signed, channelBinding: "tls-exporter:aa").IsValid);
        AssertFails(Verify(world, signed, channelBinding: "tls-exporter:bb"), McpsCode.InvalidSignature, McpsReasons.SignatureMismatch);
        AssertFails(Verify(world, signed), McpsCode.InvalidSignature, McpsReasons.SignatureMismatch);
        var (world2, unbound) = SignedCall();
        using var __ = world2;
        AssertFails(Verify(world2, unbound, channelBinding: "tls-exporter:aa"), McpsCode.InvalidSignature, McpsReasons.SignatureMismatch);
    }

    // ---- Never throws ------------------------------------------------------------------------------------------------

    [Fact]
    public void Random_garbage_never_throws()
    {
        using var world = new McpsWorld();
        var verifier = world.Verifier();
        var random = new Random(1234);
        var signed = world.Sign(Call, McpsSignOptions.Default);
        for (var i = 0; i < 300; i++)
        {
            var bytes = (byte[])signed.Clone();
            for (var j = 0; j < 1 + (i % 5); j++)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            var result = verifier.VerifyWithKey(bytes, world.AgentKey.PublicKey);
            Assert.NotEqual(McpsCode.InternalError, result.Code);
        }
    }

    private static byte[] HighSTwin(byte[] signature)
    {
        var order = System.Numerics.BigInteger.Parse("0ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", System.Globalization.NumberStyles.HexNumber);
        var s = new System.Numerics.BigInteger(signature.AsSpan(32), isUnsigned: true, isBigEndian: true);
        var twin = (byte[])signature.Clone();
        var high = (order - s).ToByteArray(isUnsigned: true, isBigEndian: true);
        Array.Clear(twin, 32, 32);
        high.CopyTo(twin, 64 - high.Length);
        return twin;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static char SetTrailingBits(char c)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        return alphabet[alphabet.IndexOf(c, StringComparison.Ordinal) | 1];
    }
}
