using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Gateway.Identity;
using AgentTrust.Mcps.Envelopes;
using AgentTrust.Mcps.Passports;

namespace AgentTrust.Tests.Gateway.Support;

/// <summary>
/// A local trust store with one anchor (a test Trust Authority), agents with passports issued by it, and helpers to
/// sign raw JSON-RPC lines as those agents.
/// </summary>
internal sealed class TrustFixture : IDisposable
{
    public const string AnchorName = "test-authority";

    private readonly SigningKey _anchorKey = SigningKey.Generate(SignatureAlgorithm.ES256);

    public TrustFixture()
    {
        Scratch = new ScratchDirectory();
        TrustStore = Scratch.File("trust");
        LocalTrustStore.WriteAnchor(TrustStore, AnchorName, _anchorKey.PublicKey);
    }

    public ScratchDirectory Scratch { get; }

    public string TrustStore { get; }

    public Agent IssueAgent(int level, TimeProvider? issuedBy = null, TimeSpan? lifetime = null)
    {
        var key = SigningKey.Generate(SignatureAlgorithm.ES256);
        var passport = PassportIssuer.Issue(
            new PassportRequest { PublicKey = key.PublicKey, AgentName = "test-agent", Lifetime = lifetime ?? TimeSpan.FromDays(30) },
            _anchorKey, PassportIssuerIdentity.Anchor(AnchorName), level, issuedBy);
        return new Agent(key, passport);
    }

    public void Revoke(string passportId) =>
        File.WriteAllText(Path.Combine(TrustStore, "revoked.json"), new JsonObject { ["revoked"] = new JsonArray(passportId) }.ToJsonString());

    public void Dispose()
    {
        _anchorKey.Dispose();
        Scratch.Dispose();
    }

    internal sealed class Agent(SigningKey key, AgentPassport passport) : IDisposable
    {
        private readonly McpsMessageSigner _signer = new(key, passport.PassportId);

        public AgentPassport Passport => passport;

        public SigningKey Key => key;

        /// <summary>Signs a JSON-RPC message (P2 placement, passport embedded) and returns the line to send.</summary>
        public string Sign(string json)
        {
            var message = (JsonObject)JsonNode.Parse(json)!;
            return _signer.Sign(message, new McpsSignOptions { EmbeddedPassport = passport.ToJsonObject() }).ToJsonString();
        }

        public void Dispose() => key.Dispose();
    }
}
