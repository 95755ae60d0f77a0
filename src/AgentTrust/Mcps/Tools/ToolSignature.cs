using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Errors;
using AgentTrust.Json;
using AgentTrust.Mcps.Passports;

namespace AgentTrust.Mcps.Tools;

/// <summary>A detached mcp-secure tool signature: <c>{signature, tool_hash}</c>.</summary>
/// <param name="Signature">Canonical base64 of the 64-byte low-S P1363 signature.</param>
/// <param name="ToolHash">Lowercase hex SHA-256 of the signed bytes.</param>
public sealed record DetachedToolSignature(string Signature, string ToolHash);

/// <summary>Signs and verifies tool definitions in both profiles (mcps.md §10.1–§10.2). Verification never throws on bad input.</summary>
public static class ToolSignature
{
    /// <summary>mcp-secure <c>signTool</c>: the v1 subset, detached.</summary>
    public static DetachedToolSignature SignV1(JsonObject tool, SigningKey key, string? authorOrigin = null)
    {
        RequireEs256(key);
        var input = ToolPreimage.V1SigningInput(tool, authorOrigin);
        return new DetachedToolSignature(StrictBase64.Encode(key.Sign(input)), McpsJson.Sha256Hex(input));
    }

    /// <summary>mcp-secure <c>verifyTool(tool, sig, pub, pinnedHash?, authorOrigin?)</c>.</summary>
    public static ToolVerificationResult VerifyV1(JsonObject tool, string? signature, VerificationKey key, string? pinnedHash = null, string? authorOrigin = null, SignatureVerificationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tool);
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            var input = ToolPreimage.V1SigningInput(tool, authorOrigin);
            var hash = McpsJson.Sha256Hex(input);
            var changed = pinnedHash is not null && !string.Equals(pinnedHash, hash, StringComparison.Ordinal);
            var signatureOk = key.Algorithm == SignatureAlgorithm.ES256 && StrictBase64.TryDecode(signature, 64, out var sig)
                && key.Verify(input, sig, options) == SignatureStatus.Valid;
            if (changed)
            {
                return Fail(ToolSignatureProfile.McpsV1, hash, McpsReasons.PinMismatch, hashChanged: true);
            }

            return signatureOk
                ? new ToolVerificationResult { IsValid = true, ToolHash = hash, Profile = ToolSignatureProfile.McpsV1 }
                : Fail(ToolSignatureProfile.McpsV1, hash, McpsReasons.ToolSignatureMismatch);
        }
        catch (CanonicalJsonException e)
        {
            return new ToolVerificationResult { Code = e.Error.Code, Reason = e.Error.Reason, Profile = ToolSignatureProfile.McpsV1 };
        }
    }

    /// <summary>
    /// Signs a tool in place: adds <c>_meta["io.agenttrust/tool-signature"]</c> in the chosen profile, signed by
    /// <paramref name="passportId"/>'s key. Returns the tool.
    /// </summary>
    public static JsonObject Sign(JsonObject tool, SigningKey key, string passportId, string? authorOrigin = null,
        ToolSignatureProfile profile = ToolSignatureProfile.AgentTrustV2, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(tool);
        RequireEs256(key);
        if (!McpsIdentifiers.IsPassportId(passportId))
        {
            throw new ArgumentException("A passport id is asp_ followed by 32 lowercase hex characters.", nameof(passportId));
        }

        if (tool["_meta"] is JsonObject existing)
        {
            existing.Remove(ToolSignatureProfiles.ContainerKey);
        }
        else if (tool.ContainsKey("_meta"))
        {
            throw new ArgumentException("The tool's _meta is not an object.", nameof(tool));
        }

        var container = new JsonObject { ["profile"] = profile.ToWireName(), ["passport_id"] = passportId };
        if (authorOrigin is not null)
        {
            container["author_origin"] = authorOrigin;
        }

        if (profile == ToolSignatureProfile.McpsV1)
        {
            var v1 = SignV1(tool, key, authorOrigin);
            container["tool_hash"] = v1.ToolHash;
            container["signature"] = v1.Signature;
        }
        else
        {
            var signedAt = McpsTimestamp.Format((time ?? TimeProvider.System).GetUtcNow());
            var hash = McpsJson.Sha256Hex(ToolPreimage.V2CoveredTool(tool));
            container["signed_at"] = signedAt;
            container["tool_hash"] = hash;
            container["signature"] = StrictBase64.Encode(key.Sign(ToolPreimage.V2SigningInput(hash, passportId, signedAt, authorOrigin)));
        }

        var meta = tool["_meta"] as JsonObject ?? [];
        tool["_meta"] = meta;
        meta[ToolSignatureProfiles.ContainerKey] = container;
        return tool;
    }

    /// <summary>
    /// Verifies the container of a tool with the signer's key. <paramref name="signerOrigin"/> is the signer passport's
    /// origin: when both it and the container's <c>author_origin</c> exist they must be equal (MCPS-011).
    /// <paramref name="requiredProfile"/>, when set, refuses any other profile (a downgrade to v1 is then a mismatch).
    /// </summary>
    public static ToolVerificationResult Verify(JsonObject tool, VerificationKey key, string? signerOrigin = null,
        ToolSignatureProfile? requiredProfile = null, SignatureVerificationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tool);
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            var v2Hash = McpsJson.Sha256Hex(ToolPreimage.V2CoveredTool(tool));
            if (tool["_meta"] is not JsonObject meta || meta[ToolSignatureProfiles.ContainerKey] is not JsonObject container)
            {
                return Fail(requiredProfile ?? ToolSignatureProfile.AgentTrustV2, v2Hash, McpsReasons.Unsigned);
            }

            var profileName = McpsJson.GetString(container, "profile");
            var passportId = McpsJson.GetString(container, "passport_id");
            var authorOrigin = container.ContainsKey("author_origin") ? McpsJson.GetString(container, "author_origin") : null;
            if (!ToolSignatureProfiles.TryParse(profileName, out var profile) || (requiredProfile is { } required && required != profile)
                || !McpsIdentifiers.IsPassportId(passportId) || (container.ContainsKey("author_origin") && authorOrigin is null))
            {
                return Fail(requiredProfile ?? ToolSignatureProfile.AgentTrustV2, v2Hash, McpsReasons.ToolSignatureMismatch);
            }

            if (authorOrigin is not null && signerOrigin is not null && McpsOrigin.Check(signerOrigin, authorOrigin) is not null)
            {
                return new ToolVerificationResult
                {
                    Code = McpsCode.OriginMismatch, Reason = McpsReasons.OriginMismatch, ToolHash = v2Hash, Profile = profile, PassportId = passportId,
                };
            }

            if (profile == ToolSignatureProfile.McpsV1)
            {
                var copy = (JsonObject)tool.DeepClone();
                var v1 = VerifyV1(copy, McpsJson.GetString(container, "signature"), key, McpsJson.GetString(container, "tool_hash"), authorOrigin, options);
                return v1 with { PassportId = passportId, ToolHash = v1.ToolHash };
            }

            var signedAt = McpsJson.GetString(container, "signed_at");
            var claimedHash = McpsJson.GetString(container, "tool_hash");
            if (signedAt is null || !McpsTimestamp.TryParse(signedAt, out _) || !string.Equals(claimedHash, v2Hash, StringComparison.Ordinal)
                || !StrictBase64.TryDecode(McpsJson.GetString(container, "signature"), 64, out var signature) || key.Algorithm != SignatureAlgorithm.ES256
                || key.Verify(ToolPreimage.V2SigningInput(v2Hash, passportId!, signedAt, authorOrigin), signature, options) != SignatureStatus.Valid)
            {
                return Fail(profile, v2Hash, McpsReasons.ToolSignatureMismatch) with { PassportId = passportId };
            }

            return new ToolVerificationResult { IsValid = true, ToolHash = v2Hash, Profile = profile, PassportId = passportId };
        }
        catch (CanonicalJsonException e)
        {
            return new ToolVerificationResult { Code = e.Error.Code, Reason = e.Error.Reason };
        }
    }

    private static ToolVerificationResult Fail(ToolSignatureProfile profile, string? hash, string reason, bool hashChanged = false) => new()
    {
        Code = McpsCode.ToolIntegrityFailed,
        Reason = reason,
        ToolHash = hash,
        HashChanged = hashChanged,
        Profile = profile,
    };

    private static void RequireEs256(SigningKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Algorithm != SignatureAlgorithm.ES256)
        {
            throw new ArgumentException("Tool signatures are ES256.", nameof(key));
        }
    }
}
