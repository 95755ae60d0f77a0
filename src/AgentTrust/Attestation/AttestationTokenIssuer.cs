using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using AgentTrust.Cryptography;
using AgentTrust.Jose;

namespace AgentTrust.Attestation;

/// <summary>
/// Mints attestation tokens the reference verifier accepts: header <c>{"alg","typ":"JWT","kid"}</c>, integer
/// <c>iat = nbf = now</c>, <c>exp = now + lifetime</c>, UUIDv4 <c>jti</c>, all four metadata members, enum values only.
/// </summary>
public sealed class AttestationTokenIssuer
{
    private readonly SigningKey _key;
    private readonly string _keyId;
    private readonly string _issuer;
    private readonly TimeProvider _time;
    private readonly AttestationMetrics? _metrics;

    /// <summary>Creates an issuer. The key is borrowed, not owned.</summary>
    /// <param name="key">The signing key (EdDSA by default; ES256 for JWT-SVID compatibility).</param>
    /// <param name="keyId">The <c>kid</c> under which the key is published in the issuer's JWKS.</param>
    /// <param name="issuer">The issuer URL (<c>https://</c>, or <c>http://</c> on loopback).</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="metrics">Optional instruments.</param>
    public AttestationTokenIssuer(SigningKey key, string keyId, string issuer, TimeProvider? timeProvider = null, AttestationMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        if (keyId.Length > 256)
        {
            throw new ArgumentException("kid is at most 256 characters.", nameof(keyId));
        }

        if (!IssuerUrl.IsAcceptable(issuer, out var reason))
        {
            throw new ArgumentException(reason, nameof(issuer));
        }

        _key = key;
        _keyId = keyId;
        _issuer = issuer;
        _time = timeProvider ?? TimeProvider.System;
        _metrics = metrics;
    }

    /// <summary>The issuer URL.</summary>
    public string Issuer => _issuer;

    /// <summary>Mints a token.</summary>
    /// <exception cref="ArgumentException">The request is outside the schema (invalid SPIFFE subject, empty identity, too many capabilities).</exception>
    public string Issue(AttestationTokenRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var started = Stopwatch.GetTimestamp();
        using var activity = AttestationActivity.Source.StartActivity("attestation.create_token");
        activity?.SetTag("attestation.issuer", _issuer);
        Validate(request);
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var lifetime = (long)request.Lifetime.TotalSeconds;
        var buffer = new ArrayBufferWriter<byte>(768);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("iss", _issuer);
            w.WriteString("sub", request.Subject);
            w.WriteString("aud", request.Audience);
            w.WriteNumber("iat", now);
            w.WriteNumber("exp", now + lifetime);
            w.WriteNumber("nbf", now);
            w.WriteString("jti", Guid.NewGuid().ToString("D"));
            w.WriteStartObject("agent_identity");
            w.WriteString("model_family", request.AgentIdentity.ModelFamily);
            w.WriteString("model_version", request.AgentIdentity.ModelVersion);
            w.WriteString("provider", request.AgentIdentity.Provider);
            if (request.AgentIdentity.DeploymentId is not null)
            {
                w.WriteString("deployment_id", request.AgentIdentity.DeploymentId);
            }

            w.WriteEndObject();
            w.WriteStartObject("attestation_metadata");
            w.WriteString("attestation_version", AttestationNames.Version);
            w.WriteString("attestation_type", request.AttestationType.ToWireName());
            w.WriteString("safety_level", request.SafetyLevel.ToWireName());
            w.WriteStartArray("capabilities_declared");
            foreach (var capability in request.CapabilitiesDeclared)
            {
                w.WriteStringValue(capability);
            }

            w.WriteEndArray();
            w.WriteEndObject();
            if (request.Integrity is { } integrity)
            {
                w.WriteStartObject("agent_integrity");
                if (integrity.ConfigHash is not null)
                {
                    w.WriteString("config_hash", integrity.ConfigHash);
                }

                if (integrity.SystemPromptHash is not null)
                {
                    w.WriteString("system_prompt_hash", integrity.SystemPromptHash);
                }

                w.WriteEndObject();
            }

            if (request.ConfirmationThumbprint is not null)
            {
                w.WriteStartObject("cnf");
                w.WriteString("jkt", request.ConfirmationThumbprint);
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        var token = JwsSigner.Sign(_key, buffer.WrittenSpan, _keyId, "JWT");
        _metrics?.TokenCreated(_issuer, Stopwatch.GetElapsedTime(started));
        return token;
    }

    private static void Validate(AttestationTokenRequest request)
    {
        if (!SpiffeId.TryParse(request.Subject, out _, out var reason))
        {
            throw new ArgumentException($"subject is not a SPIFFE ID: {reason}", nameof(request));
        }

        ArgumentException.ThrowIfNullOrEmpty(request.Audience, nameof(request));
        var id = request.AgentIdentity ?? throw new ArgumentException("agent identity missing", nameof(request));
        foreach (var value in new[] { id.ModelFamily, id.ModelVersion, id.Provider })
        {
            if (string.IsNullOrEmpty(value) || value.Length > 256)
            {
                throw new ArgumentException("model_family, model_version and provider are 1–256 characters", nameof(request));
            }
        }

        if (id.DeploymentId is { Length: > 256 } || request.CapabilitiesDeclared.Count > 64)
        {
            throw new ArgumentException("deployment_id ≤ 256 characters, ≤ 64 capabilities", nameof(request));
        }

        if (request.Integrity is { } integrity && !(AttestationClaimsReader.IsDigest(integrity.ConfigHash, allowNull: true) && AttestationClaimsReader.IsDigest(integrity.SystemPromptHash, allowNull: true)))
        {
            throw new ArgumentException("integrity hashes are sha256:<64 lower-case hex>", nameof(request));
        }

        if (request.Lifetime <= TimeSpan.Zero)
        {
            throw new ArgumentException("lifetime must be positive", nameof(request));
        }
    }
}
