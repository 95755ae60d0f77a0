using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Errors;
using AgentTrust.Json;
using AgentTrust.Keys;

namespace AgentTrust.Mcps.Passports;

/// <summary>
/// A structurally valid MCPS agent passport (mcps.md §7.1–§7.2). Parsing checks size before anything else, then
/// strict JSON, every member's type and bound, the id format and the JWK point. It does not check signatures,
/// validity dates or chains: <see cref="PassportVerifier"/> does.
/// </summary>
public sealed class AgentPassport
{
    /// <summary>The largest accepted passport, in UTF-8 bytes as received.</summary>
    public const int MaxBytes = 8192;

    /// <summary>The most capabilities a passport may list.</summary>
    public const int MaxCapabilities = 64;

    /// <summary>The most ancestors an issuer chain may list.</summary>
    public const int MaxChainDepth = 5;

    /// <summary>The longest <c>agent.name</c>, <c>agent.version</c> and <c>issuer</c>.</summary>
    public const int MaxNameLength = 256;

    /// <summary>The longest capability string.</summary>
    public const int MaxCapabilityLength = 128;

    /// <summary>The capability an intermediate issuer must carry.</summary>
    public const string IssueCapability = "passport:issue";

    private readonly JsonObject _json;

    private AgentPassport(JsonObject json, string passportId, VerificationKey publicKey)
    {
        _json = json;
        PassportId = passportId;
        PublicKey = publicKey;
    }

    /// <summary>The passport id (<c>asp_</c> + 32 hex).</summary>
    public string PassportId { get; }

    /// <summary>The MCPS version the passport declares.</summary>
    public string McpsVersion { get; private init; } = "";

    /// <summary>The agent name.</summary>
    public string AgentName { get; private init; } = "";

    /// <summary>The agent version.</summary>
    public string AgentVersion { get; private init; } = "";

    /// <summary>The declared capabilities (at most 64).</summary>
    public IReadOnlyList<string> Capabilities { get; private init; } = [];

    /// <summary>The key that signs this agent's messages (ES256).</summary>
    public VerificationKey PublicKey { get; }

    /// <summary>The agent's serialized origin, or null.</summary>
    public string? Origin { get; private init; }

    /// <summary>The issuer: null or <c>self</c> for self-signed, else an anchor name or the parent's id/name.</summary>
    public string? Issuer { get; private init; }

    /// <summary>Ancestors, nearest first: standard base64 of each signed parent passport.</summary>
    public IReadOnlyList<string> IssuerChain { get; private init; } = [];

    /// <summary>The claimed trust level (0–4). Never trusted on its own.</summary>
    public int ClaimedTrustLevel { get; private init; }

    /// <summary>When the passport was issued.</summary>
    public DateTimeOffset IssuedAt { get; private init; }

    /// <summary>When the passport expires.</summary>
    public DateTimeOffset ExpiresAt { get; private init; }

    /// <summary>The issuer's signature text, or null when unsigned.</summary>
    public string? Signature { get; private init; }

    /// <summary>The pinned code digest (<c>agenttrust.code_digest</c>), or null.</summary>
    public string? CodeDigest { get; private init; }

    /// <summary>The pinned configuration digest (<c>agenttrust.config_digest</c>), or null.</summary>
    public string? ConfigDigest { get; private init; }

    /// <summary>True when <see cref="Issuer"/> is absent or <c>self</c>.</summary>
    public bool IsSelfIssued => Issuer is null or "self";

    /// <summary>A copy of the passport object.</summary>
    public JsonObject ToJsonObject() => (JsonObject)_json.DeepClone();

    /// <summary>The RFC 8785 form of the whole passport (what issuers put in a child's <c>issuer_chain</c>).</summary>
    public byte[] ToCanonicalJson() => JsonCanonicalizer.Canonicalize(_json, CanonicalJsonOptions.Strict);

    /// <summary>The signed bytes: <c>UTF-8(JCS(passport without "signature"))</c> (mcps.md §7.3).</summary>
    public byte[] SigningInput() => ComputeSigningInput(_json);

    /// <summary>True when the passport lists <paramref name="capability"/>.</summary>
    public bool HasCapability(string capability) => Capabilities.Contains(capability, StringComparer.Ordinal);

    /// <summary>The signed bytes of any passport object (the one function issuers and verifiers share).</summary>
    internal static byte[] ComputeSigningInput(JsonObject passport)
    {
        var copy = (JsonObject)passport.DeepClone();
        copy.Remove("signature");
        return JsonCanonicalizer.Canonicalize(copy, CanonicalJsonOptions.Strict);
    }

    /// <summary>Parses passport JSON as received: size (MCPS-013), strict JSON (MCPS-016/017), then structure (MCPS-001). Never throws on bad input.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out AgentPassport? passport, out McpsFailure? failure)
    {
        passport = null;
        if (utf8.Length > MaxBytes)
        {
            failure = new McpsFailure(McpsCode.PassportTooLarge, McpsReasons.TooLarge);
            return false;
        }

        if (!McpsJson.TryParseNode(utf8, CanonicalJsonOptions.Strict, out var node, out failure))
        {
            return false;
        }

        if (node is not JsonObject obj)
        {
            failure = Invalid(McpsReasons.BadField);
            return false;
        }

        return TryFromObject(obj, out passport, out failure);
    }

    /// <summary>Parses an in-memory passport object (its compact serialisation is measured against the size limit).</summary>
    public static bool TryParse(JsonObject passportObject, out AgentPassport? passport, out McpsFailure? failure)
    {
        ArgumentNullException.ThrowIfNull(passportObject);
        return TryParse(McpsJson.Serialize(passportObject), out passport, out failure);
    }

    private static bool TryFromObject(JsonObject obj, out AgentPassport? passport, out McpsFailure? failure)
    {
        passport = null;
        failure = null;
        var id = McpsJson.GetString(obj, "passport_id");
        if (!McpsIdentifiers.IsPassportId(id))
        {
            failure = Invalid(McpsReasons.BadPassportId);
            return false;
        }

        var version = McpsJson.GetString(obj, "mcps_version");
        if (version is null || obj["agent"] is not JsonObject agent)
        {
            failure = Invalid(McpsReasons.BadField);
            return false;
        }

        var name = McpsJson.GetString(agent, "name");
        var agentVersion = McpsJson.GetString(agent, "version");
        if (name is null || name.Length > MaxNameLength || agentVersion is null || agentVersion.Length > MaxNameLength
            || agent["capabilities"] is not JsonArray capabilityArray)
        {
            failure = Invalid(McpsReasons.BadField);
            return false;
        }

        if (capabilityArray.Count > MaxCapabilities)
        {
            failure = Invalid(McpsReasons.TooManyCapabilities);
            return false;
        }

        var capabilities = new List<string>(capabilityArray.Count);
        foreach (var item in capabilityArray)
        {
            if (!McpsJson.IsString(item) || item!.GetValue<string>() is not { Length: <= MaxCapabilityLength } capability)
            {
                failure = Invalid(McpsReasons.BadField);
                return false;
            }

            capabilities.Add(capability);
        }

        if (!TryReadKey(obj["public_key"], out var key))
        {
            failure = Invalid(McpsReasons.BadField);
            return false;
        }

        string? origin = null;
        if (obj.TryGetPropertyValue("origin", out var originNode) && originNode is not null)
        {
            origin = McpsJson.IsString(originNode) ? originNode.GetValue<string>() : null;
            if (origin is null || !McpsOrigin.TryParse(origin, out _))
            {
                failure = Invalid(McpsReasons.BadField);
                return false;
            }
        }

        string? issuer = null;
        if (obj.TryGetPropertyValue("issuer", out var issuerNode) && issuerNode is not null)
        {
            issuer = McpsJson.IsString(issuerNode) ? issuerNode.GetValue<string>() : null;
            if (issuer is null || issuer.Length > MaxNameLength)
            {
                failure = Invalid(McpsReasons.BadField);
                return false;
            }
        }

        var chain = new List<string>();
        if (obj.TryGetPropertyValue("issuer_chain", out var chainNode) && chainNode is not null)
        {
            if (chainNode is not JsonArray chainArray)
            {
                failure = Invalid(McpsReasons.BadField);
                return false;
            }

            foreach (var entry in chainArray)
            {
                if (!McpsJson.IsString(entry))
                {
                    failure = Invalid(McpsReasons.BadField);
                    return false;
                }

                chain.Add(entry!.GetValue<string>());
            }
        }

        if (obj["trust_level"] is not JsonValue levelValue || levelValue.GetValueKind() != JsonValueKind.Number
            || !TryGetInt(levelValue, out var level) || level is < 0 or > 4)
        {
            failure = Invalid(McpsReasons.BadField);
            return false;
        }

        if (!McpsTimestamp.TryParse(McpsJson.GetString(obj, "issued_at"), out var issuedAt)
            || !McpsTimestamp.TryParse(McpsJson.GetString(obj, "expires_at"), out var expiresAt))
        {
            failure = Invalid(McpsReasons.BadValidity);
            return false;
        }

        string? signature = null;
        if (obj.TryGetPropertyValue("signature", out var signatureNode) && signatureNode is not null)
        {
            signature = McpsJson.IsString(signatureNode) ? signatureNode.GetValue<string>() : null;
            if (signature is null)
            {
                failure = Invalid(McpsReasons.BadField);
                return false;
            }
        }

        if (!TryReadRotation(obj) || !TryReadExtension(obj, out var codeDigest, out var configDigest))
        {
            failure = Invalid(McpsReasons.BadField);
            return false;
        }

        passport = new AgentPassport(obj, id!, key!)
        {
            McpsVersion = version,
            AgentName = name,
            AgentVersion = agentVersion,
            Capabilities = capabilities,
            Origin = origin,
            Issuer = issuer,
            IssuerChain = chain,
            ClaimedTrustLevel = level,
            IssuedAt = issuedAt,
            ExpiresAt = expiresAt,
            Signature = signature,
            CodeDigest = codeDigest,
            ConfigDigest = configDigest,
        };
        return true;
    }

    private static bool TryGetInt(JsonValue value, out int result)
    {
        if (value.TryGetValue(out result))
        {
            return true;
        }

        if (value.TryGetValue(out JsonElement element) && element.TryGetInt32(out result))
        {
            return true;
        }

        result = 0;
        return false;
    }

    private static bool TryReadKey(JsonNode? node, out VerificationKey? key)
    {
        key = null;
        if (node is not JsonObject jwkObject || jwkObject.ContainsKey("d"))
        {
            return false;
        }

        if (!JsonWebKey.TryParse(jwkObject.ToJsonString(), out var jwk, out _) || jwk is null || jwk.KeyType != "EC" || jwk.Curve != "P-256")
        {
            return false;
        }

        try
        {
            key = jwk.ToVerificationKey();
            return true;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return false;
        }
    }

    private static bool TryReadRotation(JsonObject obj)
    {
        if (!obj.TryGetPropertyValue("key_rotation", out var node) || node is null)
        {
            return true;
        }

        return node is JsonObject rotation
            && McpsIdentifiers.IsLowerHex(McpsJson.GetString(rotation, "previous_key_hash") ?? "", 64)
            && McpsTimestamp.TryParse(McpsJson.GetString(rotation, "rotated_at"), out _);
    }

    private static bool TryReadExtension(JsonObject obj, out string? codeDigest, out string? configDigest)
    {
        codeDigest = null;
        configDigest = null;
        if (!obj.TryGetPropertyValue("agenttrust", out var node) || node is null)
        {
            return true;
        }

        if (node is not JsonObject extension)
        {
            return false;
        }

        codeDigest = McpsJson.GetString(extension, "code_digest");
        configDigest = McpsJson.GetString(extension, "config_digest");
        return (!extension.ContainsKey("code_digest") || IsDigest(codeDigest))
            && (!extension.ContainsKey("config_digest") || IsDigest(configDigest));
    }

    /// <summary>True for <c>sha256:</c> + 64 lowercase hex.</summary>
    internal static bool IsDigest(string? value) =>
        value is { Length: 71 } && value.StartsWith("sha256:", StringComparison.Ordinal) && McpsIdentifiers.IsLowerHex(value.AsSpan(7), 64);

    private static McpsFailure Invalid(string reason) => new(McpsCode.InvalidPassport, reason);
}
