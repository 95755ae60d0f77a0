using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;

namespace AgentTrust.Mcps.Passports;

/// <summary>
/// Creates and signs passports (mcps.md §7.1, §7.3). The same signing function serves an agent that self-issues and
/// a Trust Authority that issues with its own key and chain.
/// </summary>
public static class PassportIssuer
{
    /// <summary>A self-issued passport (<c>issuer: "self"</c>, level 0) signed with the agent's own key.</summary>
    /// <exception cref="ArgumentException">The request breaks a limit, or the key does not match the request's public key.</exception>
    public static AgentPassport CreateSelfIssued(PassportRequest request, SigningKey agentKey, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(agentKey);
        ArgumentNullException.ThrowIfNull(request);
        if (!agentKey.PublicKey.Equals(request.PublicKey))
        {
            throw new ArgumentException("A self-issued passport is signed by the key it names.", nameof(agentKey));
        }

        return SignObject(Draft(request, "self", [], 0, time ?? TimeProvider.System), agentKey);
    }

    /// <summary>A passport issued by an anchor or intermediate at <paramref name="trustLevel"/>.</summary>
    /// <exception cref="ArgumentException">The request breaks a limit or the level is outside 0–4.</exception>
    public static AgentPassport Issue(PassportRequest request, SigningKey issuerKey, PassportIssuerIdentity issuer, int trustLevel, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(issuerKey);
        ArgumentNullException.ThrowIfNull(issuer);
        return SignObject(Draft(request, issuer.Name, issuer.Chain, trustLevel, time ?? TimeProvider.System), issuerKey);
    }

    /// <summary>
    /// Re-issues an existing passport (for example an agent's self-issued one presented at registration) under an
    /// issuer: sets <c>issuer</c>, <c>issuer_chain</c> and <c>trust_level</c>, keeps everything else, signs.
    /// </summary>
    public static AgentPassport Countersign(AgentPassport subject, SigningKey issuerKey, PassportIssuerIdentity issuer, int trustLevel)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentOutOfRangeException.ThrowIfNegative(trustLevel);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(trustLevel, 4);
        var json = subject.ToJsonObject();
        json["issuer"] = issuer.Name;
        json["issuer_chain"] = new JsonArray([.. issuer.Chain.Select(e => (JsonNode?)JsonValue.Create(e))]);
        json["trust_level"] = trustLevel;
        return SignObject(json, issuerKey);
    }

    /// <summary>
    /// Signs a passport object: removes any <c>signature</c>, signs <c>UTF-8(JCS(passport))</c> with ES256 (low-S) and
    /// stores the canonical base64 signature. The result must parse as a passport.
    /// </summary>
    /// <exception cref="ArgumentException">The key is not ES256 or the object is not a valid passport.</exception>
    public static AgentPassport SignObject(JsonObject passport, SigningKey issuerKey)
    {
        ArgumentNullException.ThrowIfNull(passport);
        ArgumentNullException.ThrowIfNull(issuerKey);
        if (issuerKey.Algorithm != SignatureAlgorithm.ES256)
        {
            throw new ArgumentException("Passports are signed with ES256.", nameof(issuerKey));
        }

        passport.Remove("signature");
        var signature = issuerKey.Sign(AgentPassport.ComputeSigningInput(passport));
        passport["signature"] = StrictBase64.Encode(signature);
        if (!AgentPassport.TryParse(passport, out var parsed, out var failure))
        {
            throw new ArgumentException($"Not a valid passport: {failure}.", nameof(passport));
        }

        return parsed!;
    }

    /// <summary>
    /// <c>key_rotation.previous_key_hash</c>: lowercase hex SHA-256 of the old key's SPKI PEM text
    /// (<c>-----BEGIN PUBLIC KEY-----\n</c>, 64-character lines, <c>-----END PUBLIC KEY-----\n</c>).
    /// </summary>
    public static string PreviousKeyHash(VerificationKey previousKey)
    {
        ArgumentNullException.ThrowIfNull(previousKey);
        var point = previousKey.RawPublicKey.Span;
        using var ecdsa = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = point.Slice(1, 32).ToArray(), Y = point.Slice(33, 32).ToArray() },
        });
        var pem = ecdsa.ExportSubjectPublicKeyInfoPem().ReplaceLineEndings("\n") + "\n";
        return McpsJson.Sha256Hex(System.Text.Encoding.ASCII.GetBytes(pem));
    }

    private static JsonObject Draft(PassportRequest request, string issuer, IReadOnlyList<string> chain, int trustLevel, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(trustLevel);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(trustLevel, 4);
        if (request.PublicKey.Algorithm != SignatureAlgorithm.ES256)
        {
            throw new ArgumentException("Passport keys are ES256.", nameof(request));
        }

        if (request.Capabilities.Count > AgentPassport.MaxCapabilities)
        {
            throw new ArgumentException("A passport lists at most 64 capabilities (never truncated).", nameof(request));
        }

        if (request.Origin is not null && !McpsOrigin.TryParse(request.Origin, out _))
        {
            throw new ArgumentException("The origin must be scheme://host[:port] without userinfo, path, query or fragment.", nameof(request));
        }

        if (request.Lifetime <= TimeSpan.Zero)
        {
            throw new ArgumentException("The lifetime must be positive.", nameof(request));
        }

        var now = time.GetUtcNow();
        var id = request.PassportId ?? McpsIdentifiers.NewPassportId();
        var json = new JsonObject
        {
            ["mcps_version"] = Envelopes.McpsEnvelopeConstants.Version,
            ["passport_id"] = id,
            ["agent"] = new JsonObject
            {
                ["name"] = request.AgentName,
                ["version"] = request.AgentVersion,
                ["capabilities"] = new JsonArray([.. request.Capabilities.Select(c => (JsonNode?)JsonValue.Create(c))]),
            },
            ["public_key"] = JsonNode.Parse(request.PublicKey.ToJsonWebKey().ToJson()),
            ["origin"] = request.Origin,
            ["issuer"] = issuer,
            ["issuer_chain"] = new JsonArray([.. chain.Select(e => (JsonNode?)JsonValue.Create(e))]),
            ["trust_level"] = trustLevel,
            ["issued_at"] = McpsTimestamp.Format(now),
            ["expires_at"] = McpsTimestamp.Format(now + request.Lifetime),
        };
        if (request.PreviousKey is not null)
        {
            json["key_rotation"] = new JsonObject
            {
                ["previous_key_hash"] = PreviousKeyHash(request.PreviousKey),
                ["rotated_at"] = McpsTimestamp.Format(now),
            };
        }

        if (request.CodeDigest is not null || request.ConfigDigest is not null)
        {
            var extension = new JsonObject();
            if (request.CodeDigest is not null)
            {
                extension["code_digest"] = request.CodeDigest;
            }

            if (request.ConfigDigest is not null)
            {
                extension["config_digest"] = request.ConfigDigest;
            }

            json["agenttrust"] = extension;
        }

        return json;
    }
}
