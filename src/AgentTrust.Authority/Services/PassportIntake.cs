using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AgentTrust.Cryptography;
using AgentTrust.Errors;
using AgentTrust.Keys;

namespace AgentTrust.Authority.Services;

/// <summary>
/// Checks the passport an agent submits for registration (mcps.md §7.1–7.2 structure and limits) and extracts the
/// members the authority copies into the passport it signs. The authority never signs members it did not check.
/// </summary>
internal static partial class PassportIntake
{
    public const int MaxPassportBytes = 8192;
    public const int MaxCapabilities = 64;
    public const int MaxStringLength = 256;
    public const int MaxCapabilityLength = 128;

    [GeneratedRegex("^asp_[0-9a-f]{32}$", RegexOptions.CultureInvariant)]
    public static partial Regex PassportIdPattern();

    [GeneratedRegex("^sha256:[0-9a-f]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex DigestPattern();

    public static IntakeResult Check(JsonElement passport)
    {
        if (passport.ValueKind != JsonValueKind.Object)
        {
            return IntakeResult.Fail(McpsCode.InvalidPassport, "bad_field");
        }

        if (!passport.TryGetProperty("passport_id", out var idElement) || idElement.ValueKind != JsonValueKind.String
            || !PassportIdPattern().IsMatch(idElement.GetString()!))
        {
            return IntakeResult.Fail(McpsCode.InvalidPassport, "bad_passport_id");
        }

        if (passport.TryGetProperty("mcps_version", out var version) && (version.ValueKind != JsonValueKind.String || version.GetString() != "1.0"))
        {
            return IntakeResult.Fail(McpsCode.VersionMismatch, "unsupported_version");
        }

        if (!passport.TryGetProperty("public_key", out var keyElement) || keyElement.ValueKind != JsonValueKind.Object
            || !JsonWebKey.TryParse(keyElement, out var jwk, out _) || jwk is null || jwk.HasPrivateKey
            || jwk.SignatureAlgorithm != SignatureAlgorithm.ES256)
        {
            return IntakeResult.Fail(McpsCode.InvalidPassport, "bad_field");
        }

        VerificationKey key;
        try
        {
            key = jwk.ToVerificationKey();
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return IntakeResult.Fail(McpsCode.InvalidPassport, "bad_field");
        }

        if (!passport.TryGetProperty("agent", out var agent) || agent.ValueKind != JsonValueKind.Object)
        {
            return IntakeResult.Fail(McpsCode.InvalidPassport, "bad_field");
        }

        var agentNode = new JsonObject();
        if (!CopyString(agent, "name", agentNode, required: true) || !CopyString(agent, "version", agentNode, required: false))
        {
            return IntakeResult.Fail(McpsCode.InvalidPassport, "bad_field");
        }

        var capabilities = new JsonArray();
        if (agent.TryGetProperty("capabilities", out var caps))
        {
            if (caps.ValueKind != JsonValueKind.Array)
            {
                return IntakeResult.Fail(McpsCode.InvalidPassport, "bad_field");
            }

            if (caps.GetArrayLength() > MaxCapabilities)
            {
                return IntakeResult.Fail(McpsCode.InvalidPassport, "too_many_capabilities");
            }

            foreach (var cap in caps.EnumerateArray())
            {
                if (cap.ValueKind != JsonValueKind.String || cap.GetString()!.Length is 0 or > MaxCapabilityLength)
                {
                    return IntakeResult.Fail(McpsCode.InvalidPassport, "bad_field");
                }

                // An agent cannot grant itself issuing rights through registration.
                if (cap.GetString() == "passport:issue")
                {
                    return IntakeResult.Fail(McpsCode.InvalidPassport, "bad_field");
                }

                capabilities.Add(cap.GetString());
            }
        }

        agentNode["capabilities"] = capabilities;

        string? origin = null;
        if (passport.TryGetProperty("origin", out var originElement) && originElement.ValueKind != JsonValueKind.Null)
        {
            if (originElement.ValueKind != JsonValueKind.String || !IsSerializedOrigin(originElement.GetString()!))
            {
                return IntakeResult.Fail(McpsCode.OriginMismatch, "origin_mismatch");
            }

            origin = originElement.GetString();
        }

        JsonObject? extension = null;
        if (passport.TryGetProperty("agenttrust", out var ext))
        {
            if (ext.ValueKind != JsonValueKind.Object)
            {
                return IntakeResult.Fail(McpsCode.InvalidPassport, "bad_field");
            }

            extension = new JsonObject();
            foreach (var member in ext.EnumerateObject())
            {
                var ok = member.Name switch
                {
                    "code_digest" or "config_digest" => member.Value.ValueKind == JsonValueKind.String && DigestPattern().IsMatch(member.Value.GetString()!),
                    "spiffe_id" => member.Value.ValueKind == JsonValueKind.String && member.Value.GetString()!.StartsWith("spiffe://", StringComparison.Ordinal)
                        && member.Value.GetString()!.Length <= 2048,
                    _ => false,
                };
                if (!ok)
                {
                    return IntakeResult.Fail(McpsCode.InvalidPassport, "bad_field");
                }

                extension[member.Name] = member.Value.GetString();
            }
        }

        return new IntakeResult(idElement.GetString()!, key, agentNode, origin, extension, null, null);
    }

    private static bool CopyString(JsonElement source, string name, JsonObject target, bool required)
    {
        if (!source.TryGetProperty(name, out var value))
        {
            return !required;
        }

        if (value.ValueKind != JsonValueKind.String || value.GetString()!.Length is 0 or > MaxStringLength)
        {
            return false;
        }

        target[name] = value.GetString();
        return true;
    }

    private static bool IsSerializedOrigin(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != "https" && uri.Scheme != "http"))
        {
            return false;
        }

        var serialized = uri.IsDefaultPort ? $"{uri.Scheme}://{uri.Host}" : $"{uri.Scheme}://{uri.Host}:{uri.Port}";
        return string.Equals(serialized, text, StringComparison.Ordinal) && string.IsNullOrEmpty(uri.UserInfo);
    }
}

/// <summary>A checked registration passport, or the code and reason of its rejection.</summary>
internal sealed record IntakeResult(string PassportId, VerificationKey? Key, JsonObject? Agent, string? Origin, JsonObject? Extension, McpsCode? Code, string? Reason)
{
    public bool IsValid => Code is null;

    public static IntakeResult Fail(McpsCode code, string reason) => new(string.Empty, null, null, null, null, code, reason);
}
