using System.Text.Json.Nodes;
using AgentTrust.Errors;
using AgentTrust.Receipts;

namespace AgentTrust.Audit;

/// <summary>
/// Verifies an audit log: the hash chain exactly as Signet's <c>verify --chain</c> (every <c>*.jsonl</c> in name order,
/// every non-empty line, <c>prev_hash</c> links and recomputed <c>record_hash</c>), the signed checkpoints in
/// <c>anchors/</c> (a chain shorter than its highest anchor is a truncated tail), and optionally every signature.
/// Stops at the first break and reports file, line and reason. Never throws on bad log content.
/// </summary>
public static class AuditVerifier
{
    private const int ProgressInterval = 10_000;
    private const int MaxLineBytes = 8 * 1024 * 1024;

    /// <summary>Verifies the log in <paramref name="directory"/>.</summary>
    public static Task<AuditVerificationReport> VerifyAsync(string directory, AuditVerificationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return VerifyFilesAsync(AuditFiles.List(directory), directory, options, cancellationToken);
    }

    /// <summary>Verifies a chain spread over <paramref name="files"/> (in chain order); anchors are read from <paramref name="anchorDirectory"/> when given.</summary>
    public static async Task<AuditVerificationReport> VerifyFilesAsync(IReadOnlyList<string> files, string? anchorDirectory, AuditVerificationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(options);
        var state = new WalkState(options);
        var anchors = new Dictionary<long, AuditAnchor>();
        if (options.CheckAnchors && anchorDirectory is not null)
        {
            var (list, problems) = AuditAnchor.ReadAll(anchorDirectory);
            if (problems.Count > 0)
            {
                state.Break = new AuditBreak(problems[0].File, 0, 0, McpsCode.AuditChainBroken, problems[0].Reason, null, null);
                return state.Report(0);
            }

            foreach (var anchor in list)
            {
                anchors[anchor.RecordCount] = anchor;
            }
        }

        long totalBytes = files.Sum(f => new FileInfo(f).Length);
        long bytesRead = 0;
        var buffer = new byte[1 << 20];
        for (var f = 0; f < files.Count && state.Break is null; f++)
        {
            var file = files[f];
            var isLast = f == files.Count - 1;
            var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
            await using (stream.ConfigureAwait(false))
            {
                var filled = 0;
                long line = 0;
                var eof = false;
                while (state.Break is null)
                {
                    if (!eof)
                    {
                        var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                        bytesRead += read;
                        filled += read;
                        eof = read == 0;
                    }

                    var start = 0;
                    while (state.Break is null)
                    {
                        var newline = Array.IndexOf(buffer, (byte)'\n', start, filled - start);
                        if (newline < 0)
                        {
                            break;
                        }

                        line++;
                        if (newline > start)
                        {
                            await state.RecordAsync(file, line, buffer.AsMemory(start, newline - start), anchors, cancellationToken).ConfigureAwait(false);
                            if (state.Count % ProgressInterval == 0)
                            {
                                options.Progress?.Report(new AuditVerificationProgress(state.Count, bytesRead, totalBytes));
                            }
                        }

                        start = newline + 1;
                    }

                    Buffer.BlockCopy(buffer, start, buffer, 0, filled - start);
                    filled -= start;
                    if (eof)
                    {
                        if (filled > 0 && state.Break is null)
                        {
                            if (isLast)
                            {
                                state.Warnings.Add("partial_last_line");
                            }
                            else
                            {
                                state.Break = new AuditBreak(file, line + 1, state.Count + 1, McpsCode.AuditChainBroken, "unparsable", null, null);
                            }
                        }

                        break;
                    }

                    if (filled == buffer.Length)
                    {
                        if (buffer.Length >= MaxLineBytes)
                        {
                            state.Break = new AuditBreak(file, line + 1, state.Count + 1, McpsCode.AuditChainBroken, "line_too_long", null, null);
                            break;
                        }

                        Array.Resize(ref buffer, buffer.Length * 2);
                    }
                }
            }
        }

        if (state.Break is null && anchors.Count > 0)
        {
            var highest = anchors.Values.MaxBy(a => a.RecordCount)!;
            if (highest.RecordCount > state.Count)
            {
                state.Break = new AuditBreak(Path.Combine(anchorDirectory!, AuditAnchor.FolderName, AuditAnchor.FileName(highest.RecordCount)), 0, state.Count + 1,
                    McpsCode.AuditChainBroken, "tail_truncated", highest.RecordHash, state.Head);
            }
        }

        options.Progress?.Report(new AuditVerificationProgress(state.Count, bytesRead, totalBytes));
        return state.Report(anchors.Count);
    }

    private sealed class WalkState(AuditVerificationOptions options)
    {
        private readonly ReceiptVerifier _verifier = new(options.TrustAnchors, null, options.Time);
        private long _signatures;
        private long _trusted;
        private long _unsigned;
        private long _encrypted;
        private long _anchorsMatched;

        public long Count { get; private set; }

        public string Head { get; private set; } = AuditRecordFormat.Genesis;

        public string? LogId { get; private set; }

        public AuditBreak? Break { get; set; }

        public List<string> Warnings { get; } = [];

        public async ValueTask RecordAsync(string file, long line, ReadOnlyMemory<byte> bytes, Dictionary<long, AuditAnchor> anchors, CancellationToken ct)
        {
            var number = Count + 1;
            var problem = CheckChain(bytes.Span, out var receiptRange, out var prev, out var stated, out var recomputed, out var extra);
            if (problem is not null)
            {
                Break = problem == "prev_hash_mismatch"
                    ? new AuditBreak(file, line, number, McpsCode.AuditChainBroken, problem, Head, prev)
                    : new AuditBreak(file, line, number, McpsCode.AuditChainBroken, problem, recomputed, stated);
                return;
            }

            if (extra && !Warnings.Contains("unsigned_record_members"))
            {
                Warnings.Add("unsigned_record_members");
            }

            if (options.Signatures)
            {
                var failure = await CheckSignatureAsync(bytes[receiptRange], ct).ConfigureAwait(false);
                if (failure is not null)
                {
                    Break = new AuditBreak(file, line, number, failure.Value.Code, failure.Value.Reason, null, null);
                    return;
                }
            }

            Count = number;
            Head = stated!;
            LogId ??= stated;
            if (anchors.TryGetValue(number, out var anchor))
            {
                if (anchor.RecordHash != stated || anchor.LogId != LogId)
                {
                    Break = new AuditBreak(file, line, number, McpsCode.AuditChainBroken, "anchor_mismatch", anchor.RecordHash, stated);
                    return;
                }

                _anchorsMatched++;
            }
        }

        public AuditVerificationReport Report(long anchors)
        {
            _ = anchors;
            return new AuditVerificationReport(Break is null, Count, LogId, Head, _signatures, _trusted, _unsigned, _encrypted, _anchorsMatched, Break, Warnings);
        }

        private string? CheckChain(ReadOnlySpan<byte> line, out Range receipt, out string? prev, out string? stated, out string? recomputed, out bool extra)
        {
            recomputed = null;
            var reason = AuditRecordFormat.TryParseLine(line, out receipt, out prev, out stated, out extra);
            if (reason is not null)
            {
                return reason;
            }

            if (prev != Head)
            {
                return "prev_hash_mismatch";
            }

            reason = AuditRecordFormat.CheckRecordHash(line[receipt], prev!, stated!, out var computed);
            recomputed = computed;
            return reason;
        }

        private async ValueTask<(McpsCode Code, string Reason)?> CheckSignatureAsync(ReadOnlyMemory<byte> receiptBytes, CancellationToken ct)
        {
            var json = Receipt.ParseObject(receiptBytes.Span, out var reason);
            if (json is null)
            {
                return (McpsCode.ReceiptInvalid, reason ?? "malformed");
            }

            if (!json.ContainsKey("sig") && !json.ContainsKey("signer") && !json.ContainsKey("server"))
            {
                _unsigned++;
                return null;
            }

            if (AuditParamsEncryption.IsEncrypted(json))
            {
                var kid = json["action"]!["params_encrypted"] is JsonObject enc ? ReceiptShape.GetString(enc, "kid") : null;
                var seed = kid is null ? null : options.ParamsSeedResolver?.Invoke(kid);
                if (seed is null)
                {
                    _encrypted++;
                    if (!Warnings.Contains("encrypted_params_unverified"))
                    {
                        Warnings.Add("encrypted_params_unverified");
                    }

                    return null;
                }

                json = AuditParamsEncryption.TryDecrypt(json, seed, out reason);
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(seed);
                if (json is null)
                {
                    return (McpsCode.ReceiptInvalid, reason ?? "params_encrypted_invalid");
                }
            }

            if (json["v"] is not JsonValue v || !v.TryGetValue(out int version) || version is < 1 or > 4)
            {
                return (McpsCode.ReceiptInvalid, "malformed");
            }

            var verdict = await _verifier.VerifyAsync(new Receipt(json, version), ReceiptVerificationOptions.Forensic, ct).ConfigureAwait(false);
            if (!verdict.Valid)
            {
                return (verdict.Code ?? McpsCode.ReceiptInvalid, verdict.Reason ?? "invalid");
            }

            _signatures++;
            if (verdict.Level == ReceiptTrustLevel.Trusted)
            {
                _trusted++;
            }

            foreach (var warning in verdict.Warnings)
            {
                if (warning != "integrity_only" && warning != "unanchored" && !Warnings.Contains(warning))
                {
                    Warnings.Add(warning);
                }
            }

            return null;
        }
    }
}
