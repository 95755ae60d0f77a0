using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Json;

namespace AgentTrust.TrustAuthority;

/// <summary>
/// Proof of key possession for registration at a Trust Authority: the agent signs (ES256, with the key its passport
/// names) <c>JCS({"challenge","passport_id","passport_sha256","purpose":"agenttrust-ta-register-v1"})</c>, where
/// <c>passport_sha256</c> is the lowercase hex SHA-256 of the RFC 8785 (strict) canonical form of the submitted
/// passport. Binding the whole passport stops an on-path party from changing members the authority copies (agent,
/// origin, key rotation, ...) under the victim's proof. The purpose member keeps this preimage apart from every other
/// ES256 preimage (a message payload has no <c>purpose</c> member).
/// </summary>
public static class RegistrationProof
{
    /// <summary>The value of the <c>purpose</c> member.</summary>
    public const string Purpose = "agenttrust-ta-register-v1";

    /// <summary>
    /// Builds the bytes the agent signs and the authority verifies. Both the client and the authority build the
    /// preimage through this function.
    /// </summary>
    /// <param name="challenge">The authority's challenge.</param>
    /// <param name="passportId">The passport id being registered.</param>
    /// <param name="passportSha256">Lowercase hex SHA-256 of the canonical submitted passport (<see cref="PassportDigest(JsonNode)"/>).</param>
    /// <returns>The canonical preimage bytes.</returns>
    public static byte[] BuildPreimage(string challenge, string passportId, string passportSha256)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        ArgumentNullException.ThrowIfNull(passportId);
        ArgumentNullException.ThrowIfNull(passportSha256);
        var payload = new JsonObject
        {
            ["challenge"] = challenge,
            ["passport_id"] = passportId,
            ["passport_sha256"] = passportSha256,
            ["purpose"] = Purpose,
        };
        return JsonCanonicalizer.Canonicalize(payload, CanonicalJsonOptions.Strict);
    }

    /// <summary>Builds the preimage for a submitted passport object (see <see cref="BuildPreimage(string, string, string)"/>).</summary>
    /// <param name="challenge">The authority's challenge.</param>
    /// <param name="passportId">The passport id being registered.</param>
    /// <param name="passport">The passport exactly as it is submitted.</param>
    /// <returns>The canonical preimage bytes.</returns>
    public static byte[] BuildPreimage(string challenge, string passportId, JsonNode passport)
        => BuildPreimage(challenge, passportId, PassportDigest(passport));

    /// <summary>Lowercase hex SHA-256 of the strict RFC 8785 canonical form of a passport.</summary>
    /// <param name="passport">The passport.</param>
    /// <returns>64 lowercase hex digits.</returns>
    /// <exception cref="CanonicalJsonException">The passport cannot be canonicalised under the strict profile.</exception>
    public static string PassportDigest(JsonNode passport)
    {
        ArgumentNullException.ThrowIfNull(passport);
        return Convert.ToHexStringLower(SHA256.HashData(JsonCanonicalizer.Canonicalize(passport, CanonicalJsonOptions.Strict)));
    }

    /// <summary>Lowercase hex SHA-256 of the strict RFC 8785 canonical form of a passport, from its received JSON text.</summary>
    /// <param name="passport">The passport element as received.</param>
    /// <returns>64 lowercase hex digits.</returns>
    /// <exception cref="CanonicalJsonException">The passport cannot be canonicalised under the strict profile.</exception>
    public static string PassportDigest(JsonElement passport)
        => Convert.ToHexStringLower(SHA256.HashData(JsonCanonicalizer.Canonicalize(passport, CanonicalJsonOptions.Strict)));
}
