using System.Text.Json.Nodes;
using System.Threading.Channels;
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
        var anchors = new Dictionary<long, List<AnchorEntry>>();
        if (options.CheckAnchors)
        {
            var local = anchorDirectory is null ? ([], []) : AuditAnchor.ReadFiles(anchorDirectory);
            if (local.Problems.Count > 0)
            {
                state.Break = new AuditBreak(local.Problems[0].File, 0, 0, McpsCode.AuditChainBroken, local.Problems[0].Reason, null, null);
                return state.Report(0);
            }

            var entries = local.Anchors.Select(a => new AnchorEntry(a.Anchor, a.File, FromAuthority: false))
                .Concat((options.AuthorityAnchors ?? []).Select(a => new AnchorEntry(a, AuthoritySource, FromAuthority: true)));
            foreach (var entry in entries)
            {
                // An anchor is evidence only when its signer was pinned independently of the anchor: otherwise anyone who
                // can cut the tail can also delete the anchors and sign new ones. The authority's anchors must be pinned;
                // without any pinned key, local anchors are still matched but do not count as checked.
                var pinned = entry.Anchor.IsSignedByAny(options.AnchorKeys);
                if (!pinned && (entry.FromAuthority || options.AnchorKeys is { Count: > 0 }))
                {
                    state.Break = new AuditBreak(entry.Source, 0, 0, McpsCode.AuditChainBroken, "anchor_untrusted", null, entry.Anchor.AuthorityPublicKey);
                    return state.Report(0);
                }

                if (!pinned)
                {
                    state.AddWarning("anchors_unpinned");
                }

                if (!anchors.TryGetValue(entry.Anchor.RecordCount, out var list))
                {
                    anchors[entry.Anchor.RecordCount] = list = [];
                }

                list.Add(entry with { Pinned = pinned });
            }
        }

        long totalBytes = files.Sum(f => new FileInfo(f).Length);
        long bytesRead = 0;
        var buffer = new byte[1 << 20];
        state.StartWorkers(cancellationToken);
        for (var f = 0; f < files.Count && !state.Stopped; f++)
        {
            var file = files[f];
            var isLast = f == files.Count - 1;
            var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
            await using (stream.ConfigureAwait(false))
            {
                var filled = 0;
                long line = 0;
                var eof = false;
                while (!state.Stopped)
                {
                    if (!eof)
                    {
                        var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                        bytesRead += read;
                        filled += read;
                        eof = read == 0;
                    }

                    var start = 0;
                    while (!state.Stopped)
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
                        if (filled > 0 && !state.Stopped)
                        {
                            // Only a strict prefix of a record at the very end of the log can be a torn write. A complete
                            // record without its newline is checked like any other (a modified one is a break, not a warning).
                            var kind = AuditRecordFormat.ClassifyUnterminated(buffer.AsSpan(0, filled));
                            if (isLast && kind == UnterminatedLine.TornPrefix)
                            {
                                state.AddWarning("partial_last_line");
                            }
                            else if (kind == UnterminatedLine.Complete)
                            {
                                await state.RecordAsync(file, line + 1, buffer.AsMemory(0, filled), anchors, cancellationToken).ConfigureAwait(false);
                                if (!state.Stopped && isLast)
                                {
                                    state.AddWarning("partial_last_line");
                                }
                                else if (!state.Stopped)
                                {
                                    state.Break = new AuditBreak(file, line + 1, state.Count, McpsCode.AuditChainBroken, "unterminated_line", null, null);
                                }
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

        await state.FinishAsync().ConfigureAwait(false);
        if (state.Break is null && anchors.Count > 0)
        {
            // The chain must reach the highest anchor known, local or held by the authority: a shorter chain lost its tail.
            var highest = anchors.Values.SelectMany(l => l).MaxBy(e => e.Anchor.RecordCount)!;
            if (highest.Anchor.RecordCount > state.Count)
            {
                state.Break = new AuditBreak(highest.Source, 0, state.Count + 1, McpsCode.AuditChainBroken, "tail_truncated", highest.Anchor.RecordHash, state.Head);
            }
        }

        options.Progress?.Report(new AuditVerificationProgress(state.Count, bytesRead, totalBytes));
        return state.Report(anchors.Count);
    }

    /// <summary>
    /// The log id (the first record's <c>record_hash</c>) as stored, not verified, or null for an empty log: what to ask
    /// a Trust Authority for before <see cref="VerifyAsync"/> checks the chain against its anchors.
    /// </summary>
    public static string? ReadLogId(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var first = AuditFiles.FirstLine(AuditFiles.List(directory));
        return first is { } line && AuditRecordFormat.TryParseLine(line.Line, out _, out _, out var recordHash, out _) is null ? recordHash : null;
    }

    /// <summary>Where <see cref="AuditBreak.File"/> points for an anchor the Trust Authority holds.</summary>
    public const string AuthoritySource = "authority";

    private sealed record AnchorEntry(AuditAnchor Anchor, string Source, bool FromAuthority, bool Pinned = false);

    private sealed class WalkState(AuditVerificationOptions options)
    {
        private readonly ReceiptVerifier _verifier = new(options.TrustAnchors, null, options.Time);
        private long _signatures;
        private long _trusted;
        private long _unsigned;
        private long _encrypted;
        private readonly List<long> _anchorsMatched = [];
        private readonly object _gate = new();
        private Channel<SignatureBatch>? _work;
        private SignatureBatch? _batch;
        private CancellationToken _cancellation;
        private Task[] _workers = [];
        private volatile SignatureFailure? _signatureFailure;
        private AuditBreak? _firstUnverifiable;

        public long Count { get; private set; }

        public string Head { get; private set; } = AuditRecordFormat.Genesis;

        public string? LogId { get; private set; }

        public AuditBreak? Break { get; set; }

        public List<string> Warnings { get; } = [];

        public async ValueTask RecordAsync(string file, long line, ReadOnlyMemory<byte> bytes, Dictionary<long, List<AnchorEntry>> anchors, CancellationToken ct)
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

            if (extra)
            {
                AddWarning("unsigned_record_members");
            }

            if (_work is not null)
            {
                // Signatures are checked by workers on every core while the walk goes on, in batches so the hand-over
                // costs little next to a signature check; the earliest failure wins.
                _batch ??= new SignatureBatch();
                _batch.Add(number, file, line, prev!, bytes.Span[receiptRange]);
                if (_batch.Count == SignatureBatch.Capacity)
                {
                    var full = _batch;
                    _batch = null;
                    await _work.Writer.WriteAsync(full, ct).ConfigureAwait(false);
                }
            }

            // The anchor is checked before the record counts as walked, so a mismatch reports the last good head.
            var logId = LogId ?? stated!;
            if (anchors.TryGetValue(number, out var atNumber))
            {
                foreach (var entry in atNumber)
                {
                    if (entry.Anchor.LogId != logId)
                    {
                        Break = new AuditBreak(file, line, number, McpsCode.AuditChainBroken, "anchor_mismatch", entry.Anchor.LogId, logId);
                        return;
                    }

                    if (entry.Anchor.RecordHash != stated)
                    {
                        Break = new AuditBreak(file, line, number, McpsCode.AuditChainBroken, "anchor_mismatch", entry.Anchor.RecordHash, stated);
                        return;
                    }
                }

                if (atNumber.Any(e => e.Pinned))
                {
                    _anchorsMatched.Add(number);
                }
            }

            Count = number;
            Head = stated!;
            LogId = logId;
        }

        public bool Stopped => Break is not null || _signatureFailure is not null;

        public void StartWorkers(CancellationToken ct)
        {
            if (!options.Signatures)
            {
                return;
            }

            _cancellation = ct;
            _work = Channel.CreateBounded<SignatureBatch>(new BoundedChannelOptions(4096 / SignatureBatch.Capacity) { SingleWriter = true });
            _workers = [.. Enumerable.Range(0, Math.Clamp(Environment.ProcessorCount, 1, 8)).Select(_ => Task.Run(() => WorkAsync(ct), ct))];
        }

        public async Task FinishAsync()
        {
            if (_work is null)
            {
                return;
            }

            if (_batch is { Count: > 0 } rest)
            {
                // Every record walked before a chain break is still checked: an earlier bad signature is the first break.
                _batch = null;
                await _work.Writer.WriteAsync(rest, _cancellation).ConfigureAwait(false);
            }

            _work.Writer.TryComplete();
            await Task.WhenAll(_workers).ConfigureAwait(false);
            if (_signatureFailure is { } failure && (Break is null || failure.Break.RecordNumber < Break.RecordNumber))
            {
                Break = failure.Break;
                Count = failure.Break.RecordNumber - 1;
                Head = failure.PrevHash;
            }
        }

        private async Task WorkAsync(CancellationToken ct)
        {
            await foreach (var batch in _work!.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    var item = batch.Items[i];
                    if (_signatureFailure is { } known && known.Break.RecordNumber < item.Number)
                    {
                        break;
                    }

                    SignatureProblem? failure;
                    try
                    {
                        failure = await CheckSignatureAsync(batch.Receipt(i), ct).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // A failing key resolver or trust anchor must not stall the walk: fail closed on this record.
                        failure = new SignatureProblem(McpsCode.InternalError, "internal_error");
                    }

                    if (failure is { Unverifiable: true })
                    {
                        lock (_gate)
                        {
                            if (_firstUnverifiable is null || item.Number < _firstUnverifiable.RecordNumber)
                            {
                                _firstUnverifiable = new AuditBreak(item.File, item.Line, item.Number, failure.Value.Code, failure.Value.Reason, null, null);
                            }
                        }
                    }
                    else if (failure is not null)
                    {
                        lock (_gate)
                        {
                            if (_signatureFailure is null || item.Number < _signatureFailure.Break.RecordNumber)
                            {
                                _signatureFailure = new SignatureFailure(new AuditBreak(item.File, item.Line, item.Number, failure.Value.Code, failure.Value.Reason, null, null), item.PrevHash);
                            }
                        }
                    }
                }
            }
        }

        public AuditVerificationReport Report(long anchors)
        {
            _ = anchors;

            // A record whose signature could not be checked is not verified: the report is not valid, though nothing broke.
            var unverifiable = _firstUnverifiable is { } u && u.RecordNumber <= Count ? u : null;
            return new AuditVerificationReport(Break is null && unverifiable is null, Count, LogId, Head, _signatures, _trusted, _unsigned, _encrypted,
                _anchorsMatched.Count(n => n <= Count), Break, Warnings) { FirstUnverifiable = unverifiable };
        }

        public void AddWarning(string warning)
        {
            lock (_gate)
            {
                if (!Warnings.Contains(warning))
                {
                    Warnings.Add(warning);
                }
            }
        }

        private readonly record struct SignatureWork(long Number, string File, long Line, string PrevHash, int Offset, int Length);

        /// <summary>Consecutive records for one worker: their receipts copied back to back into one buffer.</summary>
        private sealed class SignatureBatch
        {
            public const int Capacity = 64;

            private byte[] _bytes = new byte[Capacity * 1024];
            private int _used;

            public SignatureWork[] Items { get; } = new SignatureWork[Capacity];

            public int Count { get; private set; }

            public void Add(long number, string file, long line, string prevHash, ReadOnlySpan<byte> receipt)
            {
                if (_bytes.Length - _used < receipt.Length)
                {
                    Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _used + receipt.Length));
                }

                receipt.CopyTo(_bytes.AsSpan(_used));
                Items[Count++] = new SignatureWork(number, file, line, prevHash, _used, receipt.Length);
                _used += receipt.Length;
            }

            public ReadOnlyMemory<byte> Receipt(int index) => _bytes.AsMemory(Items[index].Offset, Items[index].Length);
        }

        private sealed record SignatureFailure(AuditBreak Break, string PrevHash);

        /// <summary>Why a record's signature is not verified: a failure (a break), or unverifiable (not checked, not valid).</summary>
        private readonly record struct SignatureProblem(McpsCode Code, string Reason, bool Unverifiable = false);

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

        private async ValueTask<SignatureProblem?> CheckSignatureAsync(ReadOnlyMemory<byte> receiptBytes, CancellationToken ct)
        {
            // CheckRecordHash validated these exact bytes under the strict profile a moment ago.
            var json = Receipt.ParseObject(receiptBytes.Span, alreadyValidated: true, out var reason);
            if (json is null)
            {
                return new SignatureProblem(McpsCode.ReceiptInvalid, reason ?? "malformed");
            }

            if (!json.ContainsKey("sig") && !json.ContainsKey("signer") && !json.ContainsKey("server"))
            {
                // receipts.md §7.4-7.5: only Signet's policy_violation records are unsigned by design. Any other record
                // without a signature could be an altered receipt whose signature was stripped and whose (unkeyed)
                // hash chain was recomputed, so it is a break.
                if (json["type"] is JsonValue type && type.TryGetValue(out string? kind) && kind == "policy_violation")
                {
                    Interlocked.Increment(ref _unsigned);
                    return null;
                }

                return new SignatureProblem(McpsCode.ReceiptInvalid, "missing_signature");
            }

            if (AuditParamsEncryption.IsEncrypted(json))
            {
                var kid = json["action"]!["params_encrypted"] is JsonObject enc ? ReceiptShape.GetString(enc, "kid") : null;
                var seed = kid is null ? null : options.ParamsSeedResolver?.Invoke(kid);
                if (seed is null)
                {
                    // receipts.md §7.7: the signature covers action.params, which only the signer's seed can recover, so
                    // nothing here can be verified. Unverifiable is reported as such, never as verified.
                    Interlocked.Increment(ref _encrypted);
                    return new SignatureProblem(McpsCode.ReceiptInvalid, "params_encrypted_unverifiable", Unverifiable: true);
                }

                try
                {
                    json = AuditParamsEncryption.TryDecrypt(json, seed, out reason);
                }
                finally
                {
                    System.Security.Cryptography.CryptographicOperations.ZeroMemory(seed);
                }

                if (json is null)
                {
                    return new SignatureProblem(McpsCode.ReceiptInvalid, reason ?? "params_encrypted_invalid");
                }
            }

            if (json["v"] is not JsonValue v || !v.TryGetValue(out int version) || version is < 1 or > 4)
            {
                return new SignatureProblem(McpsCode.ReceiptInvalid, "malformed");
            }

            var verdict = await _verifier.VerifyAsync(new Receipt(json, version), ReceiptVerificationOptions.Forensic, ct).ConfigureAwait(false);
            if (!verdict.Valid)
            {
                return new SignatureProblem(verdict.Code ?? McpsCode.ReceiptInvalid, verdict.Reason ?? "invalid");
            }

            Interlocked.Increment(ref _signatures);
            if (verdict.Level == ReceiptTrustLevel.Trusted)
            {
                Interlocked.Increment(ref _trusted);
            }

            foreach (var warning in verdict.Warnings)
            {
                if (warning != "integrity_only" && warning != "unanchored")
                {
                    AddWarning(warning);
                }
            }

            return null;
        }
    }
}
