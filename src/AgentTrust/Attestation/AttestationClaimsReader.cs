using System.Text.Json;

namespace AgentTrust.Attestation;

/// <summary>Reads the attestation schema (attestation.md §1.2) from a verified payload; steps 10 and 11 of §4.</summary>
internal static class AttestationClaimsReader
{
    private static readonly HashSet<string> KnownTopLevel = new(StringComparer.Ordinal)
    {
        "iss", "sub", "aud", "iat", "exp", "nbf", "jti", "agent_identity", "attestation_metadata", "agent_integrity", "cnf",
    };

    public static bool IsDigest(string? value, bool allowNull)
    {
        if (value is null)
        {
            return allowNull;
        }

        if (value.Length != 71 || !value.StartsWith("sha256:", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in value.AsSpan(7))
        {
            if (!(c is (>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsValidJti(string? jti)
    {
        if (string.IsNullOrEmpty(jti) || jti.Length > 128)
        {
            return false;
        }

        foreach (var c in jti)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Step 11: required claims and nested schemas. Times and audience were checked before.</summary>
    public static AttestationReason TryRead(JsonElement payload, IReadOnlyCollection<string> requiredClaims, string subject, string jti, out AttestationClaims? claims, out IReadOnlyList<string> unknown)
    {
        claims = null;
        var unknownNames = new List<string>();
        foreach (var member in payload.EnumerateObject())
        {
            if (!KnownTopLevel.Contains(member.Name))
            {
                unknownNames.Add(member.Name);
            }
        }

        unknown = unknownNames;
        foreach (var name in requiredClaims)
        {
            if (!payload.TryGetProperty(name, out _))
            {
                return AttestationReason.MissingClaim;
            }
        }

        if (!payload.TryGetProperty("agent_identity", out var identity) || !payload.TryGetProperty("attestation_metadata", out var metadata))
        {
            return AttestationReason.MissingClaim;
        }

        if (identity.ValueKind != JsonValueKind.Object || metadata.ValueKind != JsonValueKind.Object)
        {
            return AttestationReason.BadClaim;
        }

        if (!RequiredText(identity, "model_family", out var family) || !RequiredText(identity, "model_version", out var version)
            || !RequiredText(identity, "provider", out var provider) || !OptionalText(identity, "deployment_id", out var deployment))
        {
            return identity.TryGetProperty("model_family", out _) && identity.TryGetProperty("model_version", out _) && identity.TryGetProperty("provider", out _)
                ? AttestationReason.BadClaim
                : AttestationReason.MissingClaim;
        }

        foreach (var name in new[] { "attestation_version", "attestation_type", "safety_level", "capabilities_declared" })
        {
            if (!metadata.TryGetProperty(name, out _))
            {
                return AttestationReason.MissingClaim;
            }
        }

        if (!RequiredText(metadata, "attestation_version", out var attestationVersion) || !attestationVersion!.StartsWith("0.1.", StringComparison.Ordinal)
            || !RequiredText(metadata, "attestation_type", out var typeText) || !AttestationNames.TryParseAttestationType(typeText, out var type)
            || !RequiredText(metadata, "safety_level", out var safetyText) || !AttestationNames.TryParseSafetyLevel(safetyText, out var safety))
        {
            return AttestationReason.BadClaim;
        }

        var capabilities = new List<string>();
        var declared = metadata.GetProperty("capabilities_declared");
        if (declared.ValueKind != JsonValueKind.Array || declared.GetArrayLength() > 64)
        {
            return AttestationReason.BadClaim;
        }

        foreach (var item in declared.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return AttestationReason.BadClaim;
            }

            capabilities.Add(item.GetString()!);
        }

        AgentIntegrity? integrity = null;
        if (payload.TryGetProperty("agent_integrity", out var integrityElement))
        {
            if (integrityElement.ValueKind != JsonValueKind.Object
                || !OptionalText(integrityElement, "config_hash", out var configHash) || !OptionalText(integrityElement, "system_prompt_hash", out var promptHash)
                || !IsDigest(configHash, allowNull: true) || !IsDigest(promptHash, allowNull: true))
            {
                return AttestationReason.BadClaim;
            }

            integrity = new AgentIntegrity(configHash, promptHash);
        }

        string? thumbprint = null;
        if (payload.TryGetProperty("cnf", out var cnf))
        {
            if (cnf.ValueKind != JsonValueKind.Object)
            {
                return AttestationReason.BadClaim;
            }

            if (cnf.TryGetProperty("jkt", out var jkt))
            {
                if (jkt.ValueKind != JsonValueKind.String || !AgentTrust.Encoding.StrictBase64.TryDecodeUrl(jkt.GetString(), 32, out _))
                {
                    return AttestationReason.BadClaim;
                }

                thumbprint = jkt.GetString();
            }
            else if (cnf.TryGetProperty("jwk", out var jwk))
            {
                if (!AgentTrust.Keys.JsonWebKey.TryParse(jwk, out var key, out _) || key!.HasPrivateKey)
                {
                    return AttestationReason.BadClaim;
                }

                thumbprint = key.ComputeThumbprint();
            }
        }

        var audience = new List<string>();
        var aud = payload.GetProperty("aud");
        if (aud.ValueKind == JsonValueKind.String)
        {
            audience.Add(aud.GetString()!);
        }
        else
        {
            foreach (var item in aud.EnumerateArray())
            {
                audience.Add(item.GetString()!);
            }
        }

        claims = new AttestationClaims
        {
            Issuer = payload.GetProperty("iss").GetString()!,
            Subject = subject,
            Audience = audience,
            IssuedAt = payload.GetProperty("iat").GetInt64(),
            ExpiresAt = payload.GetProperty("exp").GetInt64(),
            NotBefore = payload.TryGetProperty("nbf", out var nbf) ? nbf.GetInt64() : null,
            JwtId = jti,
            AgentIdentity = new AgentIdentity(family!, version!, provider!, deployment),
            AttestationVersion = attestationVersion,
            AttestationType = type,
            SafetyLevel = safety,
            CapabilitiesDeclared = capabilities,
            Integrity = integrity,
            ConfirmationThumbprint = thumbprint,
        };
        return AttestationReason.None;
    }

    private static bool RequiredText(JsonElement obj, string name, out string? value)
    {
        value = obj.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
        return value is { Length: > 0 and <= 256 };
    }

    private static bool OptionalText(JsonElement obj, string name, out string? value)
    {
        value = null;
        if (!obj.TryGetProperty(name, out var e))
        {
            return true;
        }

        value = e.ValueKind == JsonValueKind.String ? e.GetString() : null;
        return value is { Length: <= 256 };
    }
}
