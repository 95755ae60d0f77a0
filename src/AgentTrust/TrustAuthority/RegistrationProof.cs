using System.Text.Json.Nodes;
using AgentTrust.Json;

namespace AgentTrust.TrustAuthority;

/// <summary>
/// Proof of key possession for registration at a Trust Authority: the agent signs (ES256, with the key its passport
/// names) <c>JCS({"challenge","passport_id","purpose":"agenttrust-ta-register-v1"})</c>. The purpose member keeps
/// this preimage apart from every other ES256 preimage (a message payload has no <c>purpose</c> member).
/// </summary>
public static class RegistrationProof
{
    /// <summary>The value of the <c>purpose</c> member.</summary>
    public const string Purpose = "agenttrust-ta-register-v1";

    /// <summary>Builds the bytes the agent signs and the authority verifies.</summary>
    public static byte[] BuildPreimage(string challenge, string passportId)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        ArgumentNullException.ThrowIfNull(passportId);
        var payload = new JsonObject
        {
            ["challenge"] = challenge,
            ["passport_id"] = passportId,
            ["purpose"] = Purpose,
        };
        return JsonCanonicalizer.Canonicalize(payload, CanonicalJsonOptions.Strict);
    }
}
