using System.Text.Json.Nodes;
using AgentTrust.Errors;
using AgentTrust.Mcps;
using AgentTrust.Mcps.Envelopes;
using AgentTrust.Mcps.Tools;
using AgentTrust.Mcps.Transcript;

namespace AgentTrust.Tests.Mcps;

/// <summary><c>tools_js_model</c>, <c>transcript_js_model</c> and <c>go_format</c>.</summary>
public class McpsToolAndTranscriptVectorTests
{
    public static TheoryData<string> Tools => McpsVectors.Names("tools_js_model");

    public static TheoryData<string> Transcripts => McpsVectors.Names("transcript_js_model");

    public static TheoryData<string> GoFormats => McpsVectors.Names("go_format");

    [Theory]
    [MemberData(nameof(Tools))]
    public void Tool_entry_mcps_tool_v1(string name)
    {
        var vector = McpsVectors.Named("tools_js_model", name);
        var tool = (JsonObject)vector["tool"]!;
        var authorOrigin = (string?)vector["author_origin"];
        var input = ToolPreimage.V1SigningInput(tool, authorOrigin);
        Assert.Equal(McpsVectors.Text(vector["signing_input_utf8"]), System.Text.Encoding.UTF8.GetString(input));

        var expected = vector["expected"]!;
        var result = ToolSignature.VerifyV1(tool, (string?)vector["signature"], McpsVectors.PublicKey((string)vector["public_key"]!),
            (string?)vector["pinned_hash"], authorOrigin);
        Assert.Equal((bool)expected["valid"]!, result.IsValid);
        if (expected["hash_changed"] is { } changed)
        {
            Assert.Equal((bool)changed, result.HashChanged);
        }

        if (expected["tool_hash"] is { } hash)
        {
            Assert.Equal((string)hash!, result.ToolHash);
        }

        Assert.Equal(McpsJsonHash(input), result.ToolHash);
        if (!result.IsValid)
        {
            Assert.Equal(McpsCode.ToolIntegrityFailed, result.Code);
        }
    }

    [Fact]
    public void Extra_annotations_not_covered_under_v1_fail_under_v2()
    {
        var signed = (JsonObject)McpsVectors.Named("tools_js_model", "signed_tool")["tool"]!.DeepClone();
        var changed = (JsonObject)McpsVectors.Named("tools_js_model", "extra_annotations_not_covered")["tool"]!.DeepClone();
        using var key = McpsVectors.PrivateKey("agent");
        var passportId = McpsIdentifiers.NewPassportId();
        ToolSignature.Sign(signed, key, passportId);
        Assert.True(ToolSignature.Verify(signed, key.PublicKey).IsValid);

        // Move the v2 container onto the tool with extra annotations/title: v2 covers them, so it fails.
        changed["_meta"] = signed["_meta"]!.DeepClone();
        var result = ToolSignature.Verify(changed, key.PublicKey);
        Assert.False(result.IsValid);
        Assert.Equal(McpsCode.ToolIntegrityFailed, result.Code);
        Assert.Equal(McpsReasons.ToolSignatureMismatch, result.Reason);
    }

    [Theory]
    [MemberData(nameof(Transcripts))]
    public void Transcript_entry(string name)
    {
        var vector = McpsVectors.Named("transcript_js_model", name);
        var client = (JsonObject)vector["client_init"]!;
        var server = (JsonObject)vector["server_init"]!;
        Assert.Equal(McpsVectors.Text(vector["transcript_preimage_utf8"]), System.Text.Encoding.UTF8.GetString(TranscriptBinding.Preimage(client, server)));
        var binding = new TranscriptBindingValue((string)vector["transcript_hash"]!, (string)vector["transcript_signature"]!);
        var failure = TranscriptBinding.Verify(binding, McpsVectors.PublicKey((string)vector["public_key"]!), client, server);
        var expected = vector["expected"]!;
        Assert.Equal((bool)expected["valid"]!, failure is null);
        Assert.Equal((string?)expected["error_code"], failure?.Code.ToCodeString());
    }

    [Theory]
    [MemberData(nameof(GoFormats))]
    public void Go_format_entry_is_refused_as_foreign(string name)
    {
        var vector = McpsVectors.Named("go_format", name);
        if (vector["envelope_json"] is not { } envelope)
        {
            // cross_format_note is a note; go_passport_signed_by_ta is an mcps-go passport: not an MCPS passport either.
            if (vector["passport"] is JsonObject goPassport)
            {
                Assert.False(AgentTrust.Mcps.Passports.AgentPassport.TryParse(goPassport, out _, out var failure));
                Assert.Equal(McpsCode.InvalidPassport, failure!.Code);
            }

            return;
        }

        var verifier = new McpsMessageVerifier(McpsVerifierOptions.Default, McpsVectors.ClockAt(McpsVectors.VerifyAtMs));
        var result = verifier.VerifyWithKey(McpsVectors.Utf8(McpsVectors.Text(envelope)), McpsVectors.PublicKey((string)vector["public_key"]!));
        Assert.False(result.IsValid);
        Assert.Equal(McpsCode.InvalidSignature, result.Code);
        Assert.Equal(McpsReasons.ForeignFormat, result.Reason);
    }

    private static string McpsJsonHash(byte[] input) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(input));
}
