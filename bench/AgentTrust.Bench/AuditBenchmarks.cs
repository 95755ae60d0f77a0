using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

namespace AgentTrust.Bench;

/// <summary>
/// Durable append throughput of the audit log (fsync before acknowledgement, group commit) for N concurrent appenders,
/// 100 000 records per invocation into a fresh directory. Target: ≥ 20 000 records/s with group commit.
/// Run: <c>dotnet run -c Release --project bench/AgentTrust.Bench -- --filter *AuditAppend*</c>.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class AuditAppendBenchmarks
{
    private const int Records = 100_000;
    private AuditWorkload _workload = null!;
    private string _directory = "";

    [Params(1, 16, 64, 256)]
    public int Appenders { get; set; }

    [GlobalSetup]
    public void Setup() => _workload = new AuditWorkload(Appenders == 1 ? 2_000 : Records);

    [IterationSetup]
    public void NewDirectory() => _directory = AuditWorkload.NewDirectory();

    [IterationCleanup]
    public void RemoveDirectory() => Directory.Delete(_directory, recursive: true);

    [GlobalCleanup]
    public void Cleanup() => _workload.Dispose();

    /// <summary>One operation = one durable record (OperationsPerInvoke is the record count; one appender is measured on 2 000).</summary>
    [Benchmark(OperationsPerInvoke = Records)]
    public Task<double> AppendDurable() => _workload.AppendAsync(_directory, Appenders);
}

/// <summary>
/// Verification throughput of a 100 000-record log: the hash chain alone (target ≥ 200 000 records/s) and with every
/// signature (target ≥ 80 % of raw Ed25519 verification of the same signables, the baseline of this class, on the same cores).
/// Run: <c>dotnet run -c Release --project bench/AgentTrust.Bench -- --filter *AuditVerify*</c>.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class AuditVerifyBenchmarks
{
    private const int Records = 100_000;
    private AuditWorkload _workload = null!;

    [GlobalSetup]
    public void Setup() => _workload = new AuditWorkload(Records);

    [GlobalCleanup]
    public void Cleanup() => _workload.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Records)]
    public int RawEd25519VerifySameCores() => _workload.RawVerifyAllParallel();

    [Benchmark(OperationsPerInvoke = Records)]
    public int RawEd25519VerifyOneThread() => _workload.RawVerifyAll();

    [Benchmark(OperationsPerInvoke = Records)]
    public async Task<long> VerifyChainAndSignatures() => (await _workload.VerifyAsync(signatures: true)).SignaturesVerified;

    [Benchmark(OperationsPerInvoke = Records)]
    public async Task<long> VerifyChainOnly() => (await _workload.VerifyAsync(signatures: false)).RecordCount;
}
