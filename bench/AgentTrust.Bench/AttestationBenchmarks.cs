using System.Text;
using AgentTrust.Attestation;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Jose;
using AgentTrust.Replay;
using BenchmarkDotNet.Attributes;

namespace AgentTrust.Bench;

/// <summary>
/// Attestation issue and verify next to raw Ed25519 sign/verify of the same signing input, in the same run.
/// Target: verify ≥ 80% of raw verify throughput (ratio column: raw = baseline).
/// </summary>
[MemoryDiagnoser]
public class AttestationBenchmarks
{
    private const string Issuer = "https://api.anthropic.com";
    private const string Audience = "https://mcp-server.example.com";
    private SigningKey _key = null!;
    private AttestationTokenIssuer _issuer = null!;
    private AttestationVerifier _verifier = null!;
    private AttestationVerifier _verifierWithStore = null!;
    private AttestationVerifier _verifierCached = null!;
    private AttestationTokenRequest _request = null!;
    private string _token = null!;
    private byte[] _signingInput = null!;
    private byte[] _signature = null!;

    [GlobalSetup]
    public void Setup()
    {
        _key = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        var clock = new FixedTime(DateTimeOffset.FromUnixTimeSeconds(1_767_225_610));
        _issuer = new AttestationTokenIssuer(_key, "anthropic-2025-01", Issuer, clock);
        _request = new AttestationTokenRequest
        {
            Audience = Audience,
            Subject = "spiffe://anthropic.com/model/claude-sonnet-4-20250514",
            AgentIdentity = new AgentIdentity("claude-4", "claude-sonnet-4-20250514", "anthropic", "api-prod-us-east-1"),
            CapabilitiesDeclared = ["tools", "resources"],
        };
        _token = _issuer.Issue(_request);
        var keys = new StaticJwsKeyResolver(new Dictionary<string, VerificationKey> { ["anthropic-2025-01"] = _key.PublicKey });
        AttestationVerifierOptions Options(IReplayStore store, int cacheSize = 0) => new()
        {
            Issuers = [new TrustedIssuer(Issuer, keys)],
            Audience = Audience,
            ReplayStore = store,
            TimeProvider = clock,
            VerificationCacheSize = cacheSize,
        };

        // The full-verification rows run without the verification cache (the same token is verified every time).
        _verifier = new AttestationVerifier(Options(new AcceptAllStore()));
        _verifierWithStore = new AttestationVerifier(Options(new InMemoryReplayStore(timeProvider: clock)));
        _verifierCached = new AttestationVerifier(Options(new AcceptAllStore(), cacheSize: 1024));
        var parts = _token.Split('.');
        _signingInput = JwsSigningInput.Create(parts[0], parts[1]);
        _ = StrictBase64.TryDecodeUrl(parts[2], out _signature);
        if (!_verifier.VerifyAsync(_token).AsTask().GetAwaiter().GetResult().Verified)
        {
            throw new InvalidOperationException("setup token does not verify");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _key.Dispose();

    [Benchmark(Baseline = true, Description = "raw Ed25519 verify (same signing input)")]
    public SignatureStatus RawVerify() => _key.PublicKey.Verify(_signingInput, _signature);

    [Benchmark(Description = "attestation verify (all steps, accept-all replay store)")]
    public async ValueTask<bool> Verify() => (await _verifier.VerifyAsync(_token)).Verified;

    [Benchmark(Description = "attestation verify, verification-cache hit (key, time, audience, policy, replay re-checked)")]
    public async ValueTask<bool> VerifyCached() => (await _verifierCached.VerifyAsync(_token)).Verified;

    [Benchmark(Description = "attestation verify (all steps, in-memory replay store: replay path)")]
    public async ValueTask<AttestationReason> VerifyWithInMemoryStore() => (await _verifierWithStore.VerifyAsync(_token)).Reason;

    [Benchmark(Description = "raw Ed25519 sign (same signing input)")]
    public byte[] RawSign() => _key.Sign(_signingInput);

    [Benchmark(Description = "attestation issue")]
    public string Issue() => _issuer.Issue(_request);

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    // Isolates the verification pipeline from the store: every (iss, jti) is accepted.
    private sealed class AcceptAllStore : IReplayStore
    {
        public ValueTask<ReplayCheckResult> TryRegisterAsync(string partition, string value, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(ReplayCheckResult.Accepted);

        public ValueTask<long> PurgeExpiredAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(0L);

        public ValueTask<long> CountAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(0L);
    }
}
