using System.Text.Json.Nodes;
using AgentTrust.Audit;
using AgentTrust.Cryptography;
using AgentTrust.Receipts;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Audit;

/// <summary>A temporary log directory with a signer and a manual clock.</summary>
internal sealed class AuditFixture : IDisposable
{
    public AuditFixture()
    {
        Directory = Path.Combine(Path.GetTempPath(), "agenttrust-audit-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        Key = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        Time = new ManualTimeProvider(new DateTimeOffset(2026, 4, 1, 23, 59, 0, TimeSpan.Zero));
        Signer = new ReceiptSigner(Key, "audit-test", "tests", Time);
    }

    public string Directory { get; }

    public SigningKey Key { get; }

    public ManualTimeProvider Time { get; }

    public ReceiptSigner Signer { get; }

    public AuditLogOptions Options => new() { Directory = Directory, Time = Time };

    public Task<AuditLog> OpenAsync() => AuditLog.OpenAsync(Options);

    public Receipt NewReceipt(int i) => Signer.Sign(new ReceiptAction("read_file", new JsonObject { ["path"] = $"file-{i}.txt" }, "mcp://fs"));

    public async Task<List<AuditAppendResult>> AppendAsync(AuditLog log, int count, int start = 0)
    {
        var results = new List<AuditAppendResult>();
        for (var i = 0; i < count; i++)
        {
            results.Add(await log.AppendAsync(NewReceipt(start + i)));
        }

        return results;
    }

    public string[] Files => AuditFiles.List(Directory).ToArray();

    public string SingleFile => Assert.Single(Files);

    public Task<AuditVerificationReport> VerifyAsync(bool signatures = true, IReadOnlyList<VerificationKey>? anchorKeys = null, IReadOnlyList<AuditAnchor>? authorityAnchors = null)
        => AuditVerifier.VerifyAsync(Directory, new AuditVerificationOptions { Signatures = signatures, Time = Time, AnchorKeys = anchorKeys, AuthorityAnchors = authorityAnchors });

    /// <summary>Rewrites a file's lines and recomputes every hash from genesis, so only what a test changed differs.</summary>
    public static void RewriteChain(string file, Func<List<JsonObject>, List<JsonObject>> edit)
    {
        var receipts = File.ReadAllLines(file).Where(l => l.Length > 0).Select(l => (JsonObject)JsonNode.Parse(l)!["receipt"]!.DeepClone()).ToList();
        var prev = AuditRecordFormat.Genesis;
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        foreach (var receipt in edit(receipts))
        {
            var canonical = AgentTrust.Json.JsonCanonicalizer.Canonicalize(receipt, AgentTrust.Json.CanonicalJsonOptions.Default);
            var hash = AuditRecordFormat.ComputeRecordHash(prev, canonical);
            AuditRecordFormat.WriteLine(output, canonical, prev, hash);
            prev = hash;
        }

        File.WriteAllBytes(file, output.WrittenSpan.ToArray());
    }

    public void Dispose()
    {
        Key.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
