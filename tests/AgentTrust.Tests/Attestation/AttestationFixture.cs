using System.Text.Json.Nodes;
using AgentTrust.Attestation;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Jose;
using AgentTrust.Replay;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Attestation;

/// <summary>An issuer key, an attacker key, a clock at T0+10 and helpers to mint honest and forged tokens.</summary>
internal sealed class AttestationFixture : IDisposable
{
    public const long T0 = 1_767_225_600;
    public const string Issuer = "https://api.anthropic.com";
    public const string Audience = "https://mcp-server.example.com";
    public const string Kid = "anthropic-2025-01";

    public AttestationFixture(SignatureAlgorithm algorithm = SignatureAlgorithm.EdDSA)
    {
        IssuerKey = SigningKey.Generate(algorithm);
        AttackerKey = SigningKey.Generate(algorithm);
        Clock = ManualTimeProvider.AtUnixSeconds(T0 + 10);
        Store = new InMemoryReplayStore(timeProvider: Clock);
        Keys = new StaticJwsKeyResolver(new Dictionary<string, VerificationKey> { [Kid] = IssuerKey.PublicKey });
        Minter = new AttestationTokenIssuer(IssuerKey, Kid, Issuer, ManualTimeProvider.AtUnixSeconds(T0));
    }

    public SigningKey IssuerKey { get; }

    public SigningKey AttackerKey { get; }

    public ManualTimeProvider Clock { get; }

    public InMemoryReplayStore Store { get; }

    public StaticJwsKeyResolver Keys { get; }

    public AttestationTokenIssuer Minter { get; }

    public static AttestationTokenRequest Request(string audience = Audience, SafetyLevel safety = SafetyLevel.Standard, string? cnf = null) => new()
    {
        Audience = audience,
        Subject = "spiffe://anthropic.com/model/claude-sonnet-4-20250514",
        AgentIdentity = new AgentIdentity("claude-4", "claude-sonnet-4-20250514", "anthropic"),
        SafetyLevel = safety,
        ConfirmationThumbprint = cnf,
    };

    public string Honest(AttestationTokenRequest? request = null) => Minter.Issue(request ?? Request());

    public AttestationVerifier Verifier(Func<AttestationVerifierOptions, AttestationVerifierOptions>? configure = null, IReplayStore? store = null, IJwsKeyResolver? keys = null)
    {
        var options = new AttestationVerifierOptions
        {
            Issuers = [new TrustedIssuer(Issuer, keys ?? Keys)],
            Audience = Audience,
            ReplayStore = store ?? Store,
            TimeProvider = Clock,
        };
        return new AttestationVerifier(configure is null ? options : configure(options));
    }

    /// <summary>The payload of an honest token as a mutable node.</summary>
    public static JsonObject Payload(long iat = T0, long lifetime = 300, string jti = "00000000-0000-4000-8000-000000000001") => new()
    {
        ["iss"] = Issuer,
        ["sub"] = "spiffe://anthropic.com/model/claude-sonnet-4-20250514",
        ["aud"] = Audience,
        ["iat"] = iat,
        ["exp"] = iat + lifetime,
        ["nbf"] = iat,
        ["jti"] = jti,
        ["agent_identity"] = new JsonObject { ["model_family"] = "claude-4", ["model_version"] = "claude-sonnet-4-20250514", ["provider"] = "anthropic" },
        ["attestation_metadata"] = new JsonObject
        {
            ["attestation_version"] = "0.1.0",
            ["attestation_type"] = "provider",
            ["safety_level"] = "standard",
            ["capabilities_declared"] = new JsonArray(),
        },
    };

    public static JsonObject Header(string alg = "EdDSA", string? kid = Kid, string? typ = "JWT")
    {
        var h = new JsonObject { ["alg"] = alg };
        if (typ is not null)
        {
            h["typ"] = typ;
        }

        if (kid is not null)
        {
            h["kid"] = kid;
        }

        return h;
    }

    /// <summary>Signs arbitrary header and payload JSON with <paramref name="key"/> (no validation: for forging).</summary>
    public static string Forge(SigningKey key, JsonNode header, JsonNode payload)
    {
        var h = StrictBase64.EncodeUrl(System.Text.Encoding.UTF8.GetBytes(header.ToJsonString()));
        var p = StrictBase64.EncodeUrl(System.Text.Encoding.UTF8.GetBytes(payload.ToJsonString()));
        return $"{h}.{p}.{StrictBase64.EncodeUrl(key.Sign(JwsSigningInput.Create(h, p)))}";
    }

    public string Sign(JsonObject payload, JsonObject? header = null) => Forge(IssuerKey, header ?? Header(IssuerKey.Algorithm.ToIdentifier()), payload);

    public void Dispose()
    {
        IssuerKey.Dispose();
        AttackerKey.Dispose();
    }
}
