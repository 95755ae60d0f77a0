using System.Text.Json.Nodes;
using AgentTrust.Json;
using AgentTrust.Mcps.Envelopes;

namespace AgentTrust.Tests.Mcps;

/// <summary>The signed payload is JCS of its five members, whether written directly (plain text) or escaped.</summary>
public class McpsSigningInputTests
{
    [Theory]
    [InlineData(null, "asp_0123456789abcdef0123456789abcdef")]
    [InlineData("tls-exporter:00ff", "asp_0123456789abcdef0123456789abcdef")]
    [InlineData("quote\" back\\slash", "asp_0123456789abcdef0123456789abcdef")]
    [InlineData("ünïcode\u007f\u0001", "asp_0123456789abcdef0123456789abcdef")]
    [InlineData("", "not\tplain")]
    public void The_signing_input_is_the_canonical_json_of_its_members(string? channelBinding, string passportId)
    {
        var hash = new string('a', 64);
        var nonce = new string('b', 32);
        const string timestamp = "2026-11-21T10:17:09.638Z";
        var members = new JsonObject { ["message_hash"] = hash, ["nonce"] = nonce, ["passport_id"] = passportId, ["timestamp"] = timestamp };
        if (channelBinding is not null)
        {
            members["channel_binding"] = channelBinding;
        }

        Assert.Equal(JsonCanonicalizer.Canonicalize(members, CanonicalJsonOptions.Strict), McpsPreimage.SigningInput(hash, nonce, passportId, timestamp, channelBinding));
    }
}
