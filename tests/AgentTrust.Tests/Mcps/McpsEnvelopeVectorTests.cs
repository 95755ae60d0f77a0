using System.Text.Json.Nodes;
using AgentTrust.Errors;
using AgentTrust.Json;
using AgentTrust.Mcps;
using AgentTrust.Mcps.Envelopes;

namespace AgentTrust.Tests.Mcps;

/// <summary>
/// <c>envelopes_js_model</c>: intermediates of each signed entry, then the envelope verifier with the supplied key
/// (steps 1–9 and 12). Where AgentTrust deviates, the test asserts AgentTrust's verdict and cites the README row.
/// </summary>
public class McpsEnvelopeVectorTests
{
    /// <summary>AgentTrust's verdicts where they differ from the reference (interop README §1, deviation table).</summary>
    private static readonly Dictionary<string, (bool Valid, string? Code, string? Reason)> DefaultDeviations = new()
    {
        ["number_edge_cases"] = (false, "MCPS-017", "unsafe_number"),        // row "number_edge_cases"
        ["high_s_signature"] = (false, "MCPS-004", "high_s"),                // row "high_s_signature"
        ["signature_base64url_unpadded"] = (false, "MCPS-004", "bad_signature_encoding"),
        ["signature_with_whitespace"] = (false, "MCPS-004", "bad_signature_encoding"),
        ["verified_4_minutes_early_clock"] = (false, "MCPS-006", "too_new"),
        ["mcps_version_changed"] = (false, "MCPS-015", "unsupported_version"),
        ["tamper_passport_id"] = (false, "MCPS-001", "bad_passport_id"),
    };

    private static readonly Dictionary<string, (bool Valid, string? Code, string? Reason)> CompatDeviations = new()
    {
        ["number_edge_cases"] = (false, "MCPS-017", "unsafe_number"),
        ["signature_base64url_unpadded"] = (false, "MCPS-004", "bad_signature_encoding"),
        ["signature_with_whitespace"] = (false, "MCPS-004", "bad_signature_encoding"),
        ["mcps_version_changed"] = (false, "MCPS-015", "unsupported_version"),
        ["tamper_passport_id"] = (false, "MCPS-001", "bad_passport_id"),
    };

    public static TheoryData<string> Envelopes => McpsVectors.Names("envelopes_js_model");

    public static TheoryData<string> SignedEnvelopes
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var e in McpsVectors.Section("envelopes_js_model").OfType<JsonObject>().Where(e => e["body_jcs"] is not null))
            {
                data.Add((string)e["name"]!);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(SignedEnvelopes))]
    public void Intermediates_match_layout_A(string name)
    {
        var vector = McpsVectors.Named("envelopes_js_model", name);
        var message = (JsonObject)JsonNode.Parse(McpsVectors.Text(vector["envelope_json"]))!;
        var container = (JsonObject)message["mcps"]!;

        // Plain RFC 8785 here: the reference's own intermediates (number_edge_cases is refused only by the strict input profile).
        var body = McpsPreimage.CanonicalBody(message, EnvelopePlacement.TopLevel, CanonicalJsonOptions.Default);
        Assert.Equal(McpsVectors.Text(vector["body_jcs"]), System.Text.Encoding.UTF8.GetString(body));
        var hash = McpsPreimage.MessageHash(body);
        Assert.Equal(McpsVectors.Text(vector["message_hash"]), hash);
        var input = McpsPreimage.SigningInput(hash, (string)container["nonce"]!, (string)container["passport_id"]!,
            (string)container["timestamp"]!, (string?)vector["channel_binding"]);
        Assert.Equal(McpsVectors.Text(vector["signing_input_utf8"]), System.Text.Encoding.UTF8.GetString(input));
    }

    [Theory]
    [MemberData(nameof(Envelopes))]
    public void Default_profile_verdict(string name) => AssertVerdict(name, McpsVerifierOptions.Default, DefaultDeviations);

    [Theory]
    [MemberData(nameof(Envelopes))]
    public void McpSecureCompat_profile_verdict(string name) => AssertVerdict(name, McpsVerifierOptions.McpSecureCompat, CompatDeviations);

    private static void AssertVerdict(string name, McpsVerifierOptions options, Dictionary<string, (bool Valid, string? Code, string? Reason)> deviations)
    {
        var vector = McpsVectors.Named("envelopes_js_model", name);
        var expected = vector["expected"]!;
        var (valid, code, reason) = deviations.TryGetValue(name, out var deviation)
            ? deviation
            : ((bool)expected["valid"]!, (string?)expected["error_code"], null);

        var verifier = new McpsMessageVerifier(options, McpsVectors.ClockAt((long)vector["verify_at_ms"]!));
        var result = verifier.VerifyWithKey(
            McpsVectors.Utf8(McpsVectors.Text(vector["envelope_json"])),
            McpsVectors.PublicKey((string)vector["public_key"]!),
            new McpsVerificationContext { ChannelBinding = (string?)vector["channel_binding"] });

        Assert.Equal(valid, result.IsValid);
        Assert.Equal(code, result.Code?.ToCodeString());
        if (reason is not null)
        {
            Assert.Equal(reason, result.Reason);
        }

        if (valid)
        {
            Assert.Equal(EnvelopePlacement.TopLevel, result.Placement);
            Assert.Equal(0, result.EffectiveTrustLevel);
        }
    }
}
