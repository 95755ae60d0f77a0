using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Mcps.Envelopes;
using AgentTrust.Mcps.Passports;
using AgentTrust.Mcps.Replay;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Mcps;

/// <summary>A Trust Authority, an agent with a TA-issued passport, a clock, a nonce store and a status source.</summary>
internal sealed class McpsWorld : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    public McpsWorld(int level = 2, IReadOnlyList<string>? capabilities = null, string? origin = "https://agent.example.com")
    {
        Clock = new ManualTimeProvider(Start);
        TaKey = SigningKey.Generate(SignatureAlgorithm.ES256);
        AgentKey = SigningKey.Generate(SignatureAlgorithm.ES256);
        Anchors = new PassportTrustStore().Add("test-ta", TaKey.PublicKey);
        Passport = PassportIssuer.Issue(
            new PassportRequest { PublicKey = AgentKey.PublicKey, AgentName = "agent", Capabilities = capabilities ?? ["tools/call"], Origin = origin },
            TaKey, PassportIssuerIdentity.Anchor("test-ta"), level, Clock);
        Nonces = new InMemoryNonceStore(time: Clock);
        Status = new FixedStatus();
        Signer = new McpsMessageSigner(AgentKey, Passport.PassportId, Clock);
    }

    public ManualTimeProvider Clock { get; }

    public SigningKey TaKey { get; }

    public SigningKey AgentKey { get; }

    public PassportTrustStore Anchors { get; }

    public AgentPassport Passport { get; }

    public InMemoryNonceStore Nonces { get; }

    public FixedStatus Status { get; }

    public McpsMessageSigner Signer { get; }

    public McpsSignOptions EmbedPassport => new() { EmbeddedPassport = Passport.ToJsonObject() };

    public McpsMessageVerifier Verifier(McpsVerifierOptions? options = null, INonceStore? nonces = null, IPassportResolver? resolver = null) =>
        new(options ?? McpsVerifierOptions.Default, Clock, Anchors, nonces ?? Nonces, resolver, Status);

    public byte[] Sign(string json, McpsSignOptions? options = null) => Signer.Sign(System.Text.Encoding.UTF8.GetBytes(json), options ?? EmbedPassport);

    public static JsonObject Parse(byte[] json) => (JsonObject)JsonNode.Parse(json)!;

    public static byte[] Bytes(JsonNode node) => System.Text.Encoding.UTF8.GetBytes(node.ToJsonString());

    public void Dispose()
    {
        TaKey.Dispose();
        AgentKey.Dispose();
    }

    internal sealed class FixedStatus : IPassportStatusProvider
    {
        public PassportStatus? Answer { get; set; } = new(PassportStatusKind.Active);

        public bool Unreachable { get; set; }

        public ValueTask<PassportStatus?> GetStatusAsync(string passportId, CancellationToken cancellationToken) =>
            Unreachable ? throw new PassportResolutionException("down") : ValueTask.FromResult(Answer);
    }
}

/// <summary>A passport directory for tests.</summary>
internal sealed class DictionaryResolver : IPassportResolver
{
    private readonly Dictionary<string, byte[]> _passports = [];

    public bool Unreachable { get; set; }

    public DictionaryResolver Add(AgentPassport passport)
    {
        _passports[passport.PassportId] = passport.ToCanonicalJson();
        return this;
    }

    public ValueTask<ReadOnlyMemory<byte>?> ResolveAsync(string passportId, CancellationToken cancellationToken)
    {
        if (Unreachable)
        {
            throw new PassportResolutionException("unreachable");
        }

        return ValueTask.FromResult<ReadOnlyMemory<byte>?>(_passports.TryGetValue(passportId, out var json) ? json : null);
    }
}
