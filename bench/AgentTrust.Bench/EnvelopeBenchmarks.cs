using System.Security.Cryptography;
using System.Text;
using AgentTrust.Cryptography;
using AgentTrust.Mcps;
using AgentTrust.Mcps.Envelopes;
using AgentTrust.Mcps.Passports;
using AgentTrust.Mcps.Replay;
using BenchmarkDotNet.Attributes;

namespace AgentTrust.Bench;

/// <summary>
/// MCPS envelope sign+verify of a ~1 KB <c>tools/call</c> request (ES256, <c>_meta</c> placement) next to raw ECDSA
/// P-256 sign+verify of the same bytes in the same run. Target: envelope throughput ≥ 85% of raw (ratio ≤ 1.18).
/// </summary>
[MemoryDiagnoser]
public class EnvelopeBenchmarks : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);
    private ECDsa _raw = null!;
    private SigningKey _key = null!;
    private byte[] _message = null!;
    private McpsMessageSigner _signer = null!;
    private McpsMessageVerifier _verifier = null!;
    private McpsMessageVerifier _fullVerifier = null!;
    private McpsSignOptions _embed = null!;
    private readonly byte[] _signature = new byte[64];

    /// <summary>Size of the benchmarked message in bytes.</summary>
    public int MessageBytes => _message.Length;

    [GlobalSetup]
    public void Setup()
    {
        _key = SigningKey.Generate(SignatureAlgorithm.ES256);
        Span<byte> d = stackalloc byte[32];
        _key.ExportPrivateKey(d);
        _raw = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = d.ToArray() });
        d.Clear();

        var arguments = new StringBuilder();
        for (var i = 0; arguments.Length < 820; i++)
        {
            arguments.Append($"\"field_{i}\":\"value {i} with some text\",");
        }

        _message = System.Text.Encoding.UTF8.GetBytes(
            "{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"tools/call\",\"params\":{\"name\":\"search_documents\",\"arguments\":{" +
            arguments + "\"limit\":25,\"score\":0.75}}}");
        var clock = new FixedClock(Now);
        var passportId = McpsIdentifiers.NewPassportId();
        _signer = new McpsMessageSigner(_key, passportId, clock);
        _verifier = new McpsMessageVerifier(McpsVerifierOptions.Default, clock);

        using var ta = SigningKey.Generate(SignatureAlgorithm.ES256);
        var passport = PassportIssuer.Issue(new PassportRequest { PublicKey = _key.PublicKey, AgentName = "bench", PassportId = passportId }, ta,
            PassportIssuerIdentity.Anchor("bench-ta"), 2, clock);
        _embed = new McpsSignOptions { EmbeddedPassport = passport.ToJsonObject() };
        _fullVerifier = new McpsMessageVerifier(McpsVerifierOptions.Default with { StatusPolicy = StatusPolicy.None }, clock,
            new PassportTrustStore().Add("bench-ta", ta.PublicKey), new AcceptAll());
        if (!_verifier.VerifyWithKey(_signer.Sign(_message), _key.PublicKey).IsValid)
        {
            throw new InvalidOperationException("setup: envelope does not verify");
        }
    }

    /// <summary>Raw ECDSA P-256/SHA-256 sign + verify of the message bytes (IEEE P1363), the baseline.</summary>
    [Benchmark(Baseline = true)]
    public bool RawEcdsaSignVerify()
    {
        _raw.TrySignData(_message, _signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation, out _);
        return _raw.VerifyData(_message, _signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <summary>MCPS sign + verify with the signer's key (parse, JCS body, layout A, ES256, window, encoding checks).</summary>
    [Benchmark]
    public bool EnvelopeSignVerify() => _verifier.VerifyWithKey(_signer.Sign(_message), _key.PublicKey).IsValid;

    /// <summary>For information: one RFC 8785 canonicalisation (strict profile) of the message, which signer and verifier each need once.</summary>
    [Benchmark]
    public int CanonicalizeMessageOnce() =>
        AgentTrust.Json.JsonCanonicalizer.TryCanonicalize(_message, AgentTrust.Json.CanonicalJsonOptions.Strict, out var canonical, out _) ? canonical.Length : 0;

    /// <summary>
    /// The full pipeline for information: the message embeds its passport (~600 bytes), whose TA signature is verified
    /// too (a second ECDSA verify), then the nonce step.
    /// </summary>
    [Benchmark]
    public bool FullPipelineSignVerify() => _fullVerifier.VerifyAsync(_signer.Sign(_message, _embed)).AsTask().GetAwaiter().GetResult().IsValid;

    public void Dispose()
    {
        _raw?.Dispose();
        _key?.Dispose();
        GC.SuppressFinalize(this);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private sealed class AcceptAll : INonceStore
    {
        public ValueTask<NonceCheckResult> TryRegisterAsync(string passportId, string nonce, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
            ValueTask.FromResult(NonceCheckResult.Accepted);
    }
}
