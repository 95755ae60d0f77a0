using System.Security.Cryptography;
using AgentTrust.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace AgentTrust.Bench;

/// <summary>
/// ES256 and EdDSA sign/verify over the same 1 KB: the raw primitive (ECDsa P1363 span API; libsodium through the
/// <see cref="Ed25519"/> static class with the expanded key) against <see cref="SigningKey"/>/<see cref="VerificationKey"/>.
/// Target: the API within 10% of the raw primitive (Ratio column, per category).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class SignatureBenchmarks : IDisposable
{
    private readonly byte[] _data = new byte[1024];
    private readonly byte[] _signature = new byte[64];
    private readonly byte[] _es256Signature = new byte[64];
    private readonly byte[] _ed25519Signature = new byte[64];
    private readonly byte[] _ed25519ExpandedKey = new byte[Ed25519.ExpandedSecretKeySize];
    private readonly byte[] _ed25519PublicKey = new byte[Ed25519.PublicKeySize];
    private ECDsa _ecdsa = null!;
    private SigningKey _es256Key = null!;
    private VerificationKey _es256PublicKey = null!;
    private SigningKey _ed25519Key = null!;
    private VerificationKey _ed25519VerificationKey = null!;

    [GlobalSetup]
    public void Setup()
    {
        RandomNumberGenerator.Fill(_data);
        var d = new byte[32];
        RandomNumberGenerator.Fill(d);
        _es256Key = SigningKey.Import(SignatureAlgorithm.ES256, d);
        _ecdsa = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = d });
        _es256PublicKey = _es256Key.PublicKey;
        _es256Key.Sign(_data, _es256Signature);

        var seed = new byte[32];
        RandomNumberGenerator.Fill(seed);
        Ed25519.ExpandSeed(seed, _ed25519ExpandedKey, _ed25519PublicKey);
        _ed25519Key = SigningKey.Import(SignatureAlgorithm.EdDSA, seed);
        _ed25519VerificationKey = _ed25519Key.PublicKey;
        _ed25519Key.Sign(_data, _ed25519Signature);
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("ES256 sign")]
    public int Es256SignRaw() => _ecdsa.SignData(_data, _signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    [Benchmark]
    [BenchmarkCategory("ES256 sign")]
    public byte Es256SignApi()
    {
        _es256Key.Sign(_data, _signature);
        return _signature[0];
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("ES256 verify")]
    public bool Es256VerifyRaw() => _ecdsa.VerifyData(_data, _es256Signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    [Benchmark]
    [BenchmarkCategory("ES256 verify")]
    public SignatureStatus Es256VerifyApi() => _es256PublicKey.Verify(_data, _es256Signature);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("EdDSA sign")]
    public byte EdDsaSignRaw()
    {
        Ed25519.SignWithExpandedKey(_ed25519ExpandedKey, _data, _signature);
        return _signature[0];
    }

    [Benchmark]
    [BenchmarkCategory("EdDSA sign")]
    public byte EdDsaSignApi()
    {
        _ed25519Key.Sign(_data, _signature);
        return _signature[0];
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("EdDSA verify")]
    public bool EdDsaVerifyRaw() => Ed25519.Verify(_ed25519PublicKey, _data, _ed25519Signature);

    [Benchmark]
    [BenchmarkCategory("EdDSA verify")]
    public SignatureStatus EdDsaVerifyApi() => _ed25519VerificationKey.Verify(_data, _ed25519Signature);

    [GlobalCleanup]
    public void Dispose()
    {
        _ecdsa?.Dispose();
        _es256Key?.Dispose();
        _ed25519Key?.Dispose();
        GC.SuppressFinalize(this);
    }
}
