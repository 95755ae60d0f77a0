using System.Text.Json.Nodes;
using AgentTrust.Audit;
using AgentTrust.Errors;
using AgentTrust.Tests.Receipts;

namespace AgentTrust.Tests.Audit;

/// <summary>
/// Attacks on the end of the log: a modified record hidden as a "torn write", blank lines that shift the count,
/// the report of an anchor mismatch, and the durability of a new file's name.
/// </summary>
public sealed class AuditTailDefectTests
{
    private static async Task<AuditFixture> LogWithAsync(int records)
    {
        var fx = new AuditFixture();
        await using var log = await fx.OpenAsync();
        await fx.AppendAsync(log, records);
        return fx;
    }

    private static async Task StripFinalNewlineAsync(string file, Func<string, string>? edit = null)
    {
        var text = await File.ReadAllTextAsync(file);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        text = text[..^1];
        await File.WriteAllTextAsync(file, edit is null ? text : edit(text));
    }

    [Fact]
    public async Task A_modified_last_record_without_its_newline_is_a_break_not_a_torn_write()
    {
        using var fx = await LogWithAsync(3);
        await StripFinalNewlineAsync(fx.SingleFile, t => t.Replace("file-2.txt", "file-X.txt", StringComparison.Ordinal));

        var report = await fx.VerifyAsync(signatures: false);
        Assert.False(report.Valid);
        Assert.Equal(McpsCode.AuditChainBroken, report.FirstBreak!.Code);
        Assert.Equal("record_hash_mismatch", report.FirstBreak.Reason);
        Assert.Equal(3, report.FirstBreak.Line);
        Assert.Equal(2, report.RecordCount);
        Assert.DoesNotContain("partial_last_line", report.Warnings);
    }

    [Fact]
    public async Task The_writer_refuses_a_modified_unterminated_last_record_and_keeps_it_as_evidence()
    {
        using var fx = await LogWithAsync(3);
        await StripFinalNewlineAsync(fx.SingleFile, t => t.Replace("file-2.txt", "file-X.txt", StringComparison.Ordinal));
        var before = await File.ReadAllBytesAsync(fx.SingleFile);

        var e = await Assert.ThrowsAsync<AuditLogException>(fx.OpenAsync);
        Assert.Equal(McpsCode.AuditChainBroken, e.Code);
        Assert.Equal(before, await File.ReadAllBytesAsync(fx.SingleFile));
    }

    [Fact]
    public async Task Bytes_no_record_starts_with_after_the_last_newline_are_a_break()
    {
        using var fx = await LogWithAsync(2);
        await File.AppendAllTextAsync(fx.SingleFile, "garbage");

        var report = await fx.VerifyAsync(signatures: false);
        Assert.False(report.Valid);
        Assert.Equal("unparsable", report.FirstBreak!.Reason);
        Assert.Equal(3, report.FirstBreak.Line);
        var e = await Assert.ThrowsAsync<AuditLogException>(fx.OpenAsync);
        Assert.Equal(McpsCode.AuditChainBroken, e.Code);
    }

    [Fact]
    public async Task A_valid_record_missing_only_its_newline_is_kept_not_truncated()
    {
        using var fx = await LogWithAsync(3);
        await StripFinalNewlineAsync(fx.SingleFile);
        Assert.Contains("partial_last_line", (await fx.VerifyAsync()).Warnings);

        var report = await AppendAFourthRecordAsync(fx);
        Assert.Empty(report.Warnings);
    }

    [Fact]
    public async Task Blank_lines_are_not_counted_as_records_by_the_writer()
    {
        using var fx = await LogWithAsync(3);
        var lines = File.ReadAllLines(fx.SingleFile).ToList();
        lines.Insert(0, "");
        lines.Insert(2, "");
        lines.Insert(3, "");
        await File.WriteAllTextAsync(fx.SingleFile, string.Join('\n', lines) + "\n\n");
        Assert.True((await fx.VerifyAsync()).Valid);

        await AppendAFourthRecordAsync(fx);
    }

    // The writer reopens the three-record log where it ends, and the fourth record verifies with the rest.
    private static async Task<AuditVerificationReport> AppendAFourthRecordAsync(AuditFixture fx)
    {
        await using (var log = await fx.OpenAsync())
        {
            Assert.Equal(3, log.Head.RecordCount);
            var next = await log.AppendAsync(fx.NewReceipt(3));
            Assert.Equal(4, next.RecordNumber);
        }

        var report = await fx.VerifyAsync();
        Assert.True(report.Valid, report.FirstBreak?.Reason);
        Assert.Equal(4, report.RecordCount);
        return report;
    }

    [Fact]
    public async Task An_anchor_mismatch_reports_the_last_good_head_and_both_hashes()
    {
        using var fx = new AuditFixture();
        using var authority = AgentTrust.Cryptography.SigningKey.Generate(AgentTrust.Cryptography.SignatureAlgorithm.EdDSA);
        AuditAnchor anchor;
        await using (var log = await fx.OpenAsync())
        {
            await fx.AppendAsync(log, 3);
            anchor = await log.CheckpointAsync(authority, "local-authority");
        }

        AuditFixture.RewriteChain(fx.SingleFile, receipts => [.. receipts.Take(2)]);
        string secondHash;
        string rewrittenThird;
        await using (var log = await fx.OpenAsync())
        {
            secondHash = log.Head.RecordHash;
            rewrittenThird = (await log.AppendAsync(fx.NewReceipt(7))).RecordHash;
        }

        var report = await AuditVerifier.VerifyAsync(fx.Directory, new AuditVerificationOptions { AnchorKeys = [authority.PublicKey], Time = fx.Time });
        Assert.False(report.Valid);
        Assert.Equal("anchor_mismatch", report.FirstBreak!.Reason);
        Assert.Equal(3, report.FirstBreak.RecordNumber);
        Assert.Equal(anchor.RecordHash, report.FirstBreak.Expected);
        Assert.Equal(rewrittenThird, report.FirstBreak.Actual);
        Assert.Equal(2, report.RecordCount);
        Assert.Equal(secondHash, report.HeadHash);
        Assert.Equal(0, report.AnchorsChecked);
    }

    [Fact]
    public async Task A_new_daily_file_has_its_directory_entry_synced_before_the_append_is_acknowledged()
    {
        using var fx = new AuditFixture();
        await using var log = await fx.OpenAsync();
        await fx.AppendAsync(log, 2);
        Assert.Equal(1, log.DirectorySyncs);

        fx.Time.Advance(TimeSpan.FromMinutes(5)); // 2026-04-02: a new file
        await fx.AppendAsync(log, 1, 2);
        Assert.Equal(2, fx.Files.Length);
        Assert.Equal(2, log.DirectorySyncs);
    }

    [Fact]
    public async Task Records_with_encrypted_params_and_no_seed_are_unverifiable_not_verified()
    {
        var path = SignetVectors.FilePath("audit_chain_valid.jsonl");
        var report = await AuditVerifier.VerifyFilesAsync([path], null, new AuditVerificationOptions { Signatures = true });
        Assert.False(report.Valid);
        Assert.Null(report.FirstBreak);
        Assert.Equal(McpsCode.ReceiptInvalid, report.FirstUnverifiable!.Code);
        Assert.Equal("params_encrypted_unverifiable", report.FirstUnverifiable.Reason);
        Assert.Equal(2, report.FirstUnverifiable.RecordNumber);
        Assert.Equal(3, report.RecordCount);
        Assert.Equal(2, report.SignaturesVerified);

        // Without a signature sweep nothing claims the signatures verified: the chain alone is valid.
        Assert.True((await AuditVerifier.VerifyFilesAsync([path], null, new AuditVerificationOptions())).Valid);
    }

    [Fact]
    public async Task A_record_with_a_tampered_encrypted_envelope_is_still_a_chain_break()
    {
        var lines = File.ReadAllLines(SignetVectors.FilePath("audit_chain_valid.jsonl"));
        var record = JsonNode.Parse(lines[1])!.AsObject();
        record["receipt"]!["action"]!["params_encrypted"]!["ciphertext"] = "AAAA";
        lines[1] = record.ToJsonString();
        using var dir = new Support.TemporaryDirectory("agenttrust-audit-enc-");
        var file = dir.File("2026-01-01.jsonl");
        await File.WriteAllLinesAsync(file, lines);
        var report = await AuditVerifier.VerifyFilesAsync([file], null, new AuditVerificationOptions { Signatures = true });
        Assert.False(report.Valid);
        Assert.Equal(McpsCode.AuditChainBroken, report.FirstBreak!.Code);
    }
}
