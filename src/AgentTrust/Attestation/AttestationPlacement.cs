using System.Text.Json.Nodes;
using AgentTrust.Cryptography;

namespace AgentTrust.Attestation;

/// <summary>
/// Where attestation travels in MCP (attestation.md §3): <c>capabilities.experimental["security.attestation"]</c> in
/// <c>initialize</c> params (2024-11-05 … 2025-11-25), the same object inside
/// <c>params._meta["io.modelcontextprotocol/clientCapabilities"]</c> on every request (2026-07-28), server requirements
/// in the <c>initialize</c> / <c>server/discover</c> result, and the verdict in both reference shapes.
/// </summary>
public static class AttestationPlacement
{
    /// <summary>The per-request client capabilities key of the stateless revision.</summary>
    public const string ClientCapabilitiesMetaKey = "io.modelcontextprotocol/clientCapabilities";

    /// <summary>The <c>result._meta</c> key AgentTrust echoes a success under.</summary>
    public const string ResultMetaKey = "io.agenttrust/attestation";

    /// <summary>The client's capability object <c>{version, token, supported_algorithms, attestation_types}</c>.</summary>
    public static JsonObject CreateClientCapability(string token, IEnumerable<SignatureAlgorithm>? algorithms = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        var algs = new JsonArray();
        foreach (var alg in algorithms ?? [SignatureAlgorithm.EdDSA])
        {
            algs.Add((JsonNode?)JsonValue.Create(alg.ToIdentifier()));
        }

        return new JsonObject
        {
            ["version"] = AttestationNames.Version,
            ["token"] = token,
            ["supported_algorithms"] = algs,
            ["attestation_types"] = new JsonArray("provider", "enterprise"),
        };
    }

    /// <summary>Puts the token into <c>initialize</c> params: <c>capabilities.experimental["security.attestation"]</c>.</summary>
    public static void SetInitializeToken(JsonObject initializeParams, string token)
    {
        ArgumentNullException.ThrowIfNull(initializeParams);
        var experimental = Child(Child(initializeParams, "capabilities"), "experimental");
        experimental[AttestationNames.CapabilityKey] = CreateClientCapability(token);
    }

    /// <summary>Reads the token from <c>initialize</c> params; false when absent (the downgrade case) or not a string.</summary>
    public static bool TryGetInitializeToken(JsonObject? initializeParams, out string? token) =>
        TryGetToken(initializeParams?["capabilities"] as JsonObject, out token);

    /// <summary>Puts the token into a request's <c>params._meta["io.modelcontextprotocol/clientCapabilities"].experimental</c> (2026-07-28).</summary>
    public static void SetRequestToken(JsonObject requestParams, string token)
    {
        ArgumentNullException.ThrowIfNull(requestParams);
        var experimental = Child(Child(Child(requestParams, "_meta"), ClientCapabilitiesMetaKey), "experimental");
        experimental[AttestationNames.CapabilityKey] = CreateClientCapability(token);
    }

    /// <summary>Reads the token of a stateless request.</summary>
    public static bool TryGetRequestToken(JsonObject? requestParams, out string? token) =>
        TryGetToken((requestParams?["_meta"] as JsonObject)?[ClientCapabilitiesMetaKey] as JsonObject, out token);

    /// <summary>The server requirements object <c>{version, policy, trusted_issuers, required_claims}</c>.</summary>
    public static JsonObject CreateServerRequirements(AttestationPolicyMode mode, IEnumerable<string> trustedIssuers, IEnumerable<string> requiredClaims) => new()
    {
        ["version"] = AttestationNames.Version,
        ["policy"] = mode.ToWireName(),
        ["trusted_issuers"] = new JsonArray(trustedIssuers.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray()),
        ["required_claims"] = new JsonArray(requiredClaims.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray()),
    };

    /// <summary>The verdict AgentTrust emits in the <c>initialize</c> result: the union of both reference shapes.</summary>
    public static JsonObject CreateVerdictCapability(AttestationVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        var node = new JsonObject
        {
            ["version"] = AttestationNames.Version,
            ["policy"] = verdict.Policy.ToWireName(),
            ["verification_status"] = verdict.Verified ? "verified" : "failed",
            ["trust_level"] = verdict.TrustLevel.ToWireName(),
            ["verified_claims"] = verdict.Verified ? new JsonArray("agent_identity", "attestation_metadata") : new JsonArray(),
        };
        if (verdict.Verified)
        {
            node["issuer"] = verdict.Issuer;
            node["subject"] = verdict.Subject;
        }
        else
        {
            node["error"] = verdict.Reason.ToWireName();
            node["error_code"] = verdict.JsonRpcCode;
        }

        return node;
    }

    /// <summary>The success echo for <c>result._meta["io.agenttrust/attestation"]</c> (2026-07-28).</summary>
    public static JsonObject CreateResultMeta(AttestationVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        return new JsonObject
        {
            ["verification_status"] = verdict.Verified ? "verified" : "failed",
            ["trust_level"] = verdict.TrustLevel.ToWireName(),
            ["issuer"] = verdict.Issuer,
            ["subject"] = verdict.Subject,
        };
    }

    /// <summary>The JSON-RPC error response for a refused request (attestation.md §8); the <c>id</c> is always kept.</summary>
    public static JsonObject CreateErrorResponse(JsonNode? id, AttestationVerdict verdict, IEnumerable<string> trustedIssuers)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        if (verdict.Verified)
        {
            throw new ArgumentException("A verified verdict is not an error.", nameof(verdict));
        }

        return new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = id?.DeepClone(),
            ["error"] = new JsonObject
            {
                ["code"] = verdict.JsonRpcCode,
                ["message"] = verdict.Reason.ToMessage(),
                ["data"] = new JsonObject
                {
                    ["mcps_code"] = "MCPS-020",
                    ["reason"] = verdict.Reason.ToWireName(),
                    ["policy"] = verdict.Policy.ToWireName(),
                    ["trusted_issuers"] = new JsonArray(trustedIssuers.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray()),
                },
            },
        };
    }

    /// <summary>Reads a verdict in either reference shape (<c>verified_claims</c> as array or as <c>{issuer, subject}</c>).</summary>
    public static bool TryReadVerdict(JsonObject? capability, out AttestationCapabilityVerdict? verdict)
    {
        verdict = null;
        if (capability?["verification_status"] is not JsonValue statusValue || !statusValue.TryGetValue<string>(out var status))
        {
            return false;
        }

        var issuer = Text(capability, "issuer");
        var subject = Text(capability, "subject");
        if (capability["verified_claims"] is JsonObject claims)
        {
            issuer ??= Text(claims, "issuer");
            subject ??= Text(claims, "subject");
        }

        verdict = new AttestationCapabilityVerdict(status, Text(capability, "trust_level"), issuer, subject, Text(capability, "error"), Text(capability, "policy"));
        return true;
    }

    private static string? Text(JsonObject obj, string name) => obj[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static bool TryGetToken(JsonObject? capabilities, out string? token)
    {
        token = null;
        if ((capabilities?["experimental"] as JsonObject)?[AttestationNames.CapabilityKey] is not JsonObject attestation)
        {
            return false;
        }

        token = Text(attestation, "token");
        return !string.IsNullOrEmpty(token);
    }

    private static JsonObject Child(JsonObject parent, string name)
    {
        if (parent[name] is JsonObject existing)
        {
            return existing;
        }

        var created = new JsonObject();
        parent[name] = created;
        return created;
    }
}

/// <summary>A verdict read from a peer's capability object, whichever reference shape it used.</summary>
/// <param name="VerificationStatus"><c>verified</c> or <c>failed</c>.</param>
/// <param name="TrustLevel"><c>provider</c>, <c>enterprise</c>, <c>none</c>, or null when absent.</param>
/// <param name="Issuer">The verified issuer.</param>
/// <param name="Subject">The verified subject.</param>
/// <param name="Error">The error text or reason, on failure.</param>
/// <param name="Policy">The server's policy mode.</param>
public sealed record AttestationCapabilityVerdict(string VerificationStatus, string? TrustLevel, string? Issuer, string? Subject, string? Error, string? Policy);
