using System.Buffers;
using System.Text.Json.Nodes;
using AgentTrust.Audit;
using AgentTrust.Cryptography;
using AgentTrust.Json;
using AgentTrust.Receipts;

namespace AgentTrust.Bench;

/// <summary>Shared workload of the audit benchmarks: pre-signed receipts and a pre-built 100 000-record log.</summary>
internal sealed class AuditWorkload : IDisposable
{
    public AuditWorkload(int records)
    {
        Records = records;
        Key = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        var signer = new ReceiptSigner(Key, "bench-agent", "bench");
        Receipts = new Receipt[records];
        Canonical = new byte[records][];
        Signables = new byte[records][];
        Signatures = new byte[records][];
        for (var i = 0; i < records; i++)
        {
            Receipts[i] = signer.Sign(new ReceiptAction("github_create_issue", new JsonObject { ["title"] = "fix bug " + i, ["body"] = "details", ["labels"] = new JsonArray("bug", "p1") }, "mcp://github.local"));
            Canonical[i] = Receipts[i].ToCanonicalJson();
            var json = Receipts[i].ToJsonObject();
            Signables[i] = ReceiptSignables.V1(json, CanonicalJsonOptions.Strict);
            ReceiptEncoding.TryParseSignature(json["sig"]!.GetValue<string>(), out var signature);
            Signatures[i] = signature;
        }

        PublicKey = Key.PublicKey.RawPublicKey.ToArray();
        LogDirectory = NewDirectory();
        WriteLog(LogDirectory);
    }

    public int Records { get; }

    public SigningKey Key { get; }

    public byte[] PublicKey { get; }

    public Receipt[] Receipts { get; }

    public byte[][] Canonical { get; }

    public byte[][] Signables { get; }

    public byte[][] Signatures { get; }

    public string LogDirectory { get; }

    public static string NewDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "agenttrust-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return directory;
    }

    /// <summary>Appends every receipt durably from <paramref name="appenders"/> concurrent tasks; returns records per second.</summary>
    public async Task<double> AppendAsync(string directory, int appenders)
    {
        await using var log = await AuditLog.OpenAsync(new AuditLogOptions { Directory = directory });
        var next = -1;
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, appenders).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < Records)
            {
                await log.AppendAsync(Receipts[i]);
            }
        })));
        return Records / stopwatch.Elapsed.TotalSeconds;
    }

    public async Task<AuditVerificationReport> VerifyAsync(bool signatures)
    {
        var report = await AuditVerifier.VerifyAsync(LogDirectory, new AuditVerificationOptions { Signatures = signatures, CheckAnchors = false });
        if (!report.Valid || report.RecordCount != Records)
        {
            throw new InvalidOperationException("The benchmark log does not verify.");
        }

        return report;
    }

    public int RawVerifyAll()
    {
        var ok = 0;
        for (var i = 0; i < Records; i++)
        {
            ok += Ed25519.Verify(PublicKey, Signables[i], Signatures[i]) ? 1 : 0;
        }

        return ok;
    }

    /// <summary>Raw Ed25519 verification on as many cores as the audit verifier's signature workers use.</summary>
    public int RawVerifyAllParallel()
    {
        var ok = 0;
        Parallel.For(0, Records, new ParallelOptions { MaxDegreeOfParallelism = Math.Clamp(Environment.ProcessorCount, 1, 8) }, i =>
        {
            if (Ed25519.Verify(PublicKey, Signables[i], Signatures[i]))
            {
                Interlocked.Increment(ref ok);
            }
        });
        return ok;
    }

    public void Dispose()
    {
        Key.Dispose();
        Directory.Delete(LogDirectory, recursive: true);
    }

    private void WriteLog(string directory)
    {
        var output = new ArrayBufferWriter<byte>(Records * 900);
        var prev = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
        foreach (var canonical in Canonical)
        {
            var hash = AuditRecordFormat.ComputeRecordHash(prev, canonical);
            AuditRecordFormat.WriteLine(output, canonical, prev, hash);
            prev = hash;
        }

        File.WriteAllBytes(Path.Combine(directory, "2026-01-01.jsonl"), output.WrittenSpan.ToArray());
    }
}
