using System.Text.Json.Nodes;
using AgentTrust.Audit;
using AgentTrust.Errors;
using AgentTrust.Receipts;
using Text = System.Text;

namespace AgentTrust.Tests.Audit;

public sealed class AuditLogTests
{
    [Fact]
    public async Task Appended_records_form_one_signet_chain_that_verifies()
    {
        using var fx = new AuditFixture();
        List<AuditAppendResult> results;
        await using (var log = await fx.OpenAsync())
        {
            results = await fx.AppendAsync(log, 10);
            Assert.Equal(10, log.Head.RecordCount);
            Assert.Equal(results[0].RecordHash, log.Head.LogId);
            Assert.Equal(results[^1].RecordHash, log.Head.RecordHash);
        }

        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), results.Select(r => r.RecordNumber));
        Assert.Equal(AuditRecordFormat.Genesis, results[0].PrevHash);
        for (var i = 1; i < results.Count; i++)
        {
            Assert.Equal(results[i - 1].RecordHash, results[i].PrevHash);
        }

        var lines = File.ReadAllLines(fx.SingleFile);
        Assert.Equal(10, lines.Length);
        var first = JsonNode.Parse(lines[0])!.AsObject();
        Assert.Equal(["receipt", "prev_hash", "record_hash"], first.Select(p => p.Key));
        var report = await fx.VerifyAsync();
        Assert.True(report.Valid, report.FirstBreak?.Reason);
        Assert.Equal(10, report.RecordCount);
        Assert.Equal(10, report.SignaturesVerified);
    }

    [Fact]
    public async Task Concurrent_appenders_in_one_process_share_one_chain()
    {
        using var fx = new AuditFixture();
        await using (var log = await fx.OpenAsync())
        {
            var tasks = Enumerable.Range(0, 200).Select(i => Task.Run(async () => await log.AppendAsync(fx.NewReceipt(i)))).ToArray();
            var results = await Task.WhenAll(tasks);
            Assert.Equal(200, results.Select(r => r.RecordNumber).Distinct().Count());
            Assert.Equal(200, log.Head.RecordCount);
        }

        var report = await fx.VerifyAsync(signatures: false);
        Assert.True(report.Valid);
        Assert.Equal(200, report.RecordCount);
    }

    [Fact]
    public async Task Files_are_chosen_by_utc_append_date_and_the_chain_continues_across_them()
    {
        using var fx = new AuditFixture();
        await using (var log = await fx.OpenAsync())
        {
            await fx.AppendAsync(log, 2);
            fx.Time.Advance(TimeSpan.FromMinutes(2));
            await fx.AppendAsync(log, 2, 2);
        }

        Assert.Equal(["2026-04-01.jsonl", "2026-04-02.jsonl"], fx.Files.Select(Path.GetFileName));
        var report = await fx.VerifyAsync();
        Assert.True(report.Valid);
        Assert.Equal(4, report.RecordCount);

        // The clock going back never appends to an older file (files must sort in append order).
        fx.Time.Advance(TimeSpan.FromDays(-3));
        await using (var log = await fx.OpenAsync())
        {
            await fx.AppendAsync(log, 1, 4);
        }

        Assert.Equal(2, fx.Files.Length);
        Assert.True((await fx.VerifyAsync()).Valid);
    }

    [Fact]
    public async Task Reopening_verifies_the_tail_and_continues_the_chain()
    {
        using var fx = new AuditFixture();
        AuditHead head;
        await using (var log = await fx.OpenAsync())
        {
            await fx.AppendAsync(log, 3);
            head = log.Head;
        }

        await using (var log = await fx.OpenAsync())
        {
            Assert.Equal(head, log.Head);
            var next = await log.AppendAsync(fx.NewReceipt(3));
            Assert.Equal(head.RecordHash, next.PrevHash);
            Assert.Equal(4, next.RecordNumber);
        }

        Assert.True((await fx.VerifyAsync()).Valid);
    }

    [Fact]
    public async Task A_torn_last_line_is_truncated_on_open_without_losing_acknowledged_records()
    {
        using var fx = new AuditFixture();
        AuditHead head;
        await using (var log = await fx.OpenAsync())
        {
            await fx.AppendAsync(log, 3);
            head = log.Head;
        }

        var file = fx.SingleFile;
        var partial = Text.Encoding.UTF8.GetBytes("{\"receipt\":{\"action\":{\"par");
        await using (var stream = new FileStream(file, FileMode.Append))
        {
            await stream.WriteAsync(partial);
        }

        Assert.Contains("partial_last_line", (await fx.VerifyAsync()).Warnings);
        await using (var log = await fx.OpenAsync())
        {
            Assert.Equal(head, log.Head);
            await fx.AppendAsync(log, 1, 3);
        }

        var report = await fx.VerifyAsync();
        Assert.True(report.Valid);
        Assert.Equal(4, report.RecordCount);
        Assert.Empty(report.Warnings);
    }

    [Fact]
    public async Task A_corrupt_complete_tail_stops_the_writer_with_mcps_023()
    {
        using var fx = new AuditFixture();
        await using (var log = await fx.OpenAsync())
        {
            await fx.AppendAsync(log, 3);
        }

        var file = fx.SingleFile;
        var text = await File.ReadAllTextAsync(file);
        await File.WriteAllTextAsync(file, text.Replace("file-2.txt", "file-X.txt", StringComparison.Ordinal));
        var e = await Assert.ThrowsAsync<AuditLogException>(fx.OpenAsync);
        Assert.Equal(McpsCode.AuditChainBroken, e.Code);
    }

    [Fact]
    public async Task A_writer_that_finds_a_forked_tail_stops_and_stays_stopped()
    {
        using var fx = new AuditFixture();
        await using var log = await fx.OpenAsync();
        await fx.AppendAsync(log, 2);

        // Another writer appends a record that does not link to the head (a fork).
        var rogue = fx.NewReceipt(99).ToCanonicalJson();
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        AuditRecordFormat.WriteLine(output, rogue, AuditRecordFormat.Genesis, AuditRecordFormat.ComputeRecordHash(AuditRecordFormat.Genesis, rogue));
        await using (var stream = new FileStream(fx.SingleFile, FileMode.Append))
        {
            await stream.WriteAsync(output.WrittenMemory);
        }

        var first = await Assert.ThrowsAsync<AuditLogException>(async () => await log.AppendAsync(fx.NewReceipt(3)));
        Assert.Equal(McpsCode.AuditChainBroken, first.Code);
        var again = await Assert.ThrowsAsync<AuditLogException>(async () => await log.AppendAsync(fx.NewReceipt(4)));
        Assert.Equal("writer_stopped", again.Reason);
    }

    public static TheoryData<string, int, string> Manipulations => new()
    {
        { "deleted", 2, "prev_hash_mismatch" },
        { "reordered", 2, "prev_hash_mismatch" },
        { "duplicated", 3, "prev_hash_mismatch" },
        { "forked", 3, "prev_hash_mismatch" },
        { "edited", 2, "record_hash_mismatch" },
        { "garbage", 2, "unparsable" },
    };

    [Theory]
    [MemberData(nameof(Manipulations))]
    public async Task Manipulated_records_are_reported_at_the_first_broken_line(string manipulation, int line, string reason)
    {
        using var fx = new AuditFixture();
        await using (var log = await fx.OpenAsync())
        {
            await fx.AppendAsync(log, 4);
        }

        var file = fx.SingleFile;
        var lines = File.ReadAllLines(file).ToList();
        switch (manipulation)
        {
            case "deleted":
                lines.RemoveAt(1);
                break;
            case "reordered":
                (lines[1], lines[2]) = (lines[2], lines[1]);
                break;
            case "duplicated":
                lines.Insert(2, lines[1]);
                break;
            case "forked":
                var alternative = fx.NewReceipt(50).ToCanonicalJson();
                var prev = JsonNode.Parse(lines[0])!["record_hash"]!.GetValue<string>();
                var output = new System.Buffers.ArrayBufferWriter<byte>();
                AuditRecordFormat.WriteLine(output, alternative, prev, AuditRecordFormat.ComputeRecordHash(prev, alternative));
                lines.Insert(2, Text.Encoding.UTF8.GetString(output.WrittenSpan).TrimEnd('\n'));
                break;
            case "edited":
                lines[1] = lines[1].Replace("file-1.txt", "file-9.txt", StringComparison.Ordinal);
                break;
            case "garbage":
                lines[1] = "{not json";
                break;
        }

        await File.WriteAllLinesAsync(file, lines);
        var report = await fx.VerifyAsync(signatures: false);
        Assert.False(report.Valid);
        Assert.Equal(line, report.FirstBreak!.Line);
        Assert.Equal(reason, report.FirstBreak.Reason);
        Assert.Equal(file, report.FirstBreak.File);
        Assert.Equal(McpsCode.AuditChainBroken, report.FirstBreak.Code);
    }

    [Fact]
    public async Task A_receipt_edited_with_a_recomputed_chain_is_caught_by_the_signature_sweep()
    {
        using var fx = new AuditFixture();
        await using (var log = await fx.OpenAsync())
        {
            await fx.AppendAsync(log, 3);
        }

        AuditFixture.RewriteChain(fx.SingleFile, receipts =>
        {
            receipts[1]["action"]!["target"] = "mcp://elsewhere";
            return receipts;
        });
        Assert.True((await fx.VerifyAsync(signatures: false)).Valid);
        var report = await fx.VerifyAsync(signatures: true);
        Assert.False(report.Valid);
        Assert.Equal(2, report.FirstBreak!.Line);
        Assert.Equal(McpsCode.ReceiptInvalid, report.FirstBreak.Code);
        Assert.Equal("bad_signature", report.FirstBreak.Reason);
    }

    [Fact]
    public async Task The_parallel_signature_sweep_reports_the_earliest_bad_record()
    {
        using var fx = new AuditFixture();
        await using (var log = await fx.OpenAsync())
        {
            await fx.AppendAsync(log, 300);
        }

        AuditFixture.RewriteChain(fx.SingleFile, receipts =>
        {
            foreach (var index in (int[])[299, 250, 120, 37])
            {
                receipts[index]["action"]!["target"] = "mcp://elsewhere";
            }

            return receipts;
        });
        var report = await fx.VerifyAsync(signatures: true);
        Assert.False(report.Valid);
        Assert.Equal(38, report.FirstBreak!.Line);
        Assert.Equal(38, report.FirstBreak.RecordNumber);
        Assert.Equal(37, report.RecordCount);
        var lines = File.ReadAllLines(fx.SingleFile);
        Assert.Equal(JsonNode.Parse(lines[36])!["record_hash"]!.GetValue<string>(), report.HeadHash);
    }

    [Fact]
    public async Task Unsigned_policy_violation_records_are_reported_not_failed()
    {
        using var fx = new AuditFixture();
        await using (var log = await fx.OpenAsync())
        {
            await fx.AppendAsync(log, 1);
            await log.AppendAsync(Text.Encoding.UTF8.GetBytes("""{"type":"policy_violation","tool":"rm","ts":"2026-04-01T23:59:00.000Z","reason":"denied"}"""));
        }

        var report = await fx.VerifyAsync();
        Assert.True(report.Valid);
        Assert.Equal(1, report.UnsignedRecords);
        Assert.Equal(1, report.SignaturesVerified);
    }

    [Fact]
    public async Task Stripped_signature_with_recomputed_chain_is_a_break()
    {
        using var fx = new AuditFixture();
        await using (var log = await fx.OpenAsync())
        {
            await fx.AppendAsync(log, 5);
            await log.AppendAsync(Text.Encoding.UTF8.GetBytes("""{"type":"policy_violation","tool":"rm","ts":"2026-04-01T23:59:00.000Z","reason":"denied"}"""));
        }

        var before = await fx.VerifyAsync();
        Assert.True(before.Valid, before.FirstBreak?.Reason);
        Assert.Equal(5, before.SignaturesVerified);
        Assert.Equal(1, before.UnsignedRecords);

        // An attacker alters record 3, drops its signature and signer, and recomputes every later hash.
        AuditFixture.RewriteChain(fx.SingleFile, receipts =>
        {
            var altered = (JsonObject)receipts[2].DeepClone();
            altered["action"]!["params"]!["path"] = "/etc/shadow";
            altered.Remove("sig");
            altered.Remove("signer");
            receipts[2] = altered;
            return receipts;
        });

        var chainOnly = await fx.VerifyAsync(signatures: false);
        Assert.True(chainOnly.Valid, chainOnly.FirstBreak?.Reason);

        var report = await fx.VerifyAsync();
        Assert.False(report.Valid);
        Assert.NotNull(report.FirstBreak);
        Assert.Equal(3, report.FirstBreak!.RecordNumber);
        Assert.Equal(3, report.FirstBreak.Line);
        Assert.Equal(McpsCode.ReceiptInvalid, report.FirstBreak.Code);
        Assert.Equal("missing_signature", report.FirstBreak.Reason);
    }

    [Fact]
    public async Task Unsigned_record_without_policy_violation_type_is_a_break()
    {
        using var fx = new AuditFixture();
        await using (var log = await fx.OpenAsync())
        {
            await fx.AppendAsync(log, 1);
            await log.AppendAsync(Text.Encoding.UTF8.GetBytes("""{"type":"note","tool":"rm","ts":"2026-04-01T23:59:00.000Z"}"""));
        }

        var report = await fx.VerifyAsync();
        Assert.False(report.Valid);
        Assert.Equal(2, report.FirstBreak!.RecordNumber);
        Assert.Equal("missing_signature", report.FirstBreak.Reason);
        Assert.Equal(0, report.UnsignedRecords);
    }

    [Fact]
    public async Task Denials_are_recorded_as_signed_receipts()
    {
        using var fx = new AuditFixture();
        using var serverKey = AgentTrust.Cryptography.SigningKey.Generate(AgentTrust.Cryptography.SignatureAlgorithm.EdDSA);
        var server = new ReceiptSigner(serverKey, "gateway", "", fx.Time);
        var action = new ReceiptAction("delete_repo", new JsonObject { ["repo"] = "x" }, "mcp://github");
        var policy = new PolicyAttestation(ReceiptEncoding.EmptyObjectHash, "prod", ["no-delete"], "deny", "deletes are not allowed");
        await using (var log = await fx.OpenAsync())
        {
            var withAgent = await AuditDenials.RecordAsync(log, server, action, fx.Signer.Sign(action), policy);
            Assert.Equal([1, 3], withAgent.Select(r => r.Version));
            var withoutAgent = await AuditDenials.RecordAsync(log, server, action, null, policy);
            Assert.Equal(1, Assert.Single(withoutAgent).Version);
            await Assert.ThrowsAsync<ArgumentException>(() => AuditDenials.RecordAsync(log, server, action, null, policy with { Decision = "allow" }));
        }

        var report = await fx.VerifyAsync();
        Assert.True(report.Valid, report.FirstBreak?.Reason);
        Assert.Equal(3, report.SignaturesVerified);
        Assert.Equal(0, report.UnsignedRecords);
    }

    [Fact]
    public async Task Checkpoints_match_the_chain_and_detect_tail_truncation()
    {
        using var fx = new AuditFixture();
        using var authority = AgentTrust.Cryptography.SigningKey.Generate(AgentTrust.Cryptography.SignatureAlgorithm.EdDSA);
        AuditAnchor anchor;
        await using (var log = await fx.OpenAsync())
        {
            await fx.AppendAsync(log, 5);
            anchor = await log.CheckpointAsync(authority, "local-authority");
            await fx.AppendAsync(log, 3, 5);
        }

        Assert.Equal(5, anchor.RecordCount);
        Assert.True(File.Exists(Path.Combine(fx.Directory, "anchors", "00000000000000000005.checkpoint.json")));
        var report = await fx.VerifyAsync(anchorKeys: [authority.PublicKey]);
        Assert.True(report.Valid);
        Assert.Equal(1, report.AnchorsChecked);
        var unpinned = await fx.VerifyAsync();
        Assert.Equal(0, unpinned.AnchorsChecked);
        Assert.Contains("anchors_unpinned", unpinned.Warnings);

        // Cut the tail below the checkpoint: a bare hash chain still verifies, the anchor does not.
        var file = fx.SingleFile;
        await File.WriteAllLinesAsync(file, File.ReadAllLines(file).Take(4));
        var truncated = await fx.VerifyAsync(anchorKeys: [authority.PublicKey]);
        Assert.False(truncated.Valid);
        Assert.Equal("tail_truncated", truncated.FirstBreak!.Reason);
        Assert.Equal(McpsCode.AuditChainBroken, truncated.FirstBreak.Code);
    }

    [Fact]
    public async Task A_rewritten_history_no_longer_matches_its_checkpoint()
    {
        using var fx = new AuditFixture();
        using var authority = AgentTrust.Cryptography.SigningKey.Generate(AgentTrust.Cryptography.SignatureAlgorithm.EdDSA);
        await using (var log = await fx.OpenAsync())
        {
            await fx.AppendAsync(log, 3);
            await log.CheckpointAsync(authority, "local-authority");
        }

        AuditFixture.RewriteChain(fx.SingleFile, receipts => [.. receipts.Take(2)]);
        await using (var log = await fx.OpenAsync())
        {
            await log.AppendAsync(fx.NewReceipt(7));
        }

        var report = await fx.VerifyAsync(signatures: false);
        Assert.False(report.Valid);
        Assert.Equal("anchor_mismatch", report.FirstBreak!.Reason);
    }

    [Fact]
    public async Task A_tampered_checkpoint_is_reported()
    {
        using var fx = new AuditFixture();
        using var authority = AgentTrust.Cryptography.SigningKey.Generate(AgentTrust.Cryptography.SignatureAlgorithm.EdDSA);
        await using (var log = await fx.OpenAsync())
        {
            await fx.AppendAsync(log, 2);
            await log.CheckpointAsync(authority, "local-authority");
        }

        var path = Path.Combine(fx.Directory, "anchors", AuditAnchor.CheckpointFileName(2));
        var json = JsonNode.Parse(await File.ReadAllTextAsync(path))!.AsObject();
        json["anchored_at"] = "2030-01-01T00:00:00.000Z";
        await File.WriteAllTextAsync(path, json.ToJsonString());
        var report = await fx.VerifyAsync(signatures: false);
        Assert.False(report.Valid);
        Assert.Equal("anchor_bad_signature", report.FirstBreak!.Reason);
    }

    [Fact]
    public async Task Verification_reports_progress()
    {
        using var fx = new AuditFixture();
        await using (var log = await fx.OpenAsync())
        {
            var tasks = Enumerable.Range(0, 25_000).Select(i => log.AppendAsync(Text.Encoding.UTF8.GetBytes($$"""{"type":"policy_violation","i":{{i}}}""")).AsTask());
            await Task.WhenAll(tasks);
        }

        var reports = new List<AuditVerificationProgress>();
        var progress = new SynchronousProgress(reports);
        var report = await AuditVerifier.VerifyAsync(fx.Directory, new AuditVerificationOptions { Progress = progress });
        Assert.True(report.Valid);
        Assert.Equal(25_000, report.RecordCount);
        Assert.True(reports.Count >= 3);
        Assert.Equal(25_000, reports[^1].RecordsVerified);
        Assert.Equal(reports[^1].TotalBytes, reports[^1].BytesRead);
    }

    private sealed class SynchronousProgress(List<AuditVerificationProgress> reports) : IProgress<AuditVerificationProgress>
    {
        public void Report(AuditVerificationProgress value) => reports.Add(value);
    }
}
