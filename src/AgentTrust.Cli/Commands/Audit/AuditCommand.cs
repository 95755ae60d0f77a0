using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using AgentTrust.Audit;
using AgentTrust.Cli.Commands.Authority;
using AgentTrust.Cli.Commands.Receipts;
using AgentTrust.Errors;
using AgentTrust.Cryptography;
using AgentTrust.Receipts;
using AgentTrust.TrustAuthority;
using Spectre.Console;

namespace AgentTrust.Cli.Commands;

/// <summary><c>agenttrust audit</c>: verify, show and checkpoint the hash-chained audit log.</summary>
internal static class AuditCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("audit", "The hash-chained audit log of receipts (Signet-compatible, one chain per directory).");
        command.Subcommands.Add(CreateVerify(context));
        command.Subcommands.Add(CreateShow(context));
        command.Subcommands.Add(CreateCheckpoint(context));
        command.Subcommands.Add(CreateAnchor(context));
        command.Subcommands.Add(AuditLoadCommand.Create(context));
        return command;
    }

    /// <summary>Opens the log, turning a corrupt tail into exit 1 with MCPS-023.</summary>
    public static async Task<AuditLog> OpenLogAsync(CliContext context, string directory, CancellationToken cancellationToken)
    {
        try
        {
            return await AuditLog.OpenAsync(new AuditLogOptions { Directory = directory, Time = context.Time }, cancellationToken).ConfigureAwait(false);
        }
        catch (AuditLogException e)
        {
            throw CliFailure.Rejected(e.Code.ToCodeString(), e.Message);
        }
    }

    private static Option<string?> DirOption() => new("--dir") { Description = "The log directory (default <AGENTTRUST_HOME or ~/.agenttrust>/audit)." };

    private static Option<string?> AuthorityOption(string description) => new("--authority") { Description = description };

    private static Option<string?> AuthorityKeyOption() => new("--authority-key")
    {
        Description = "The authority's Ed25519 anchor key (file or ed25519: string). Default: the key pinned for that URL in AGENTTRUST_HOME/pinned-authorities.json, fetched and pinned on first contact.",
    };

    /// <summary>The key 'audit' (what 'audit checkpoint' signs with) when the key store has it.</summary>
    private static string[] DefaultAnchorKey(CliContext context) =>
        File.Exists(Path.Combine(AgentTrust.KeyStore.FileKeyStore.DefaultDirectory(context.HomeDirectory), "audit.pub")) ? ["audit"] : [];

    private static Option<bool> JsonOption() => new("--json") { Description = "Print the result as JSON." };

    private static Command CreateVerify(CliContext context)
    {
        var dir = DirOption();
        var signatures = new Option<bool>("--signatures") { Description = "Also verify every receipt's signature (forensic mode). A record whose signature cannot be checked (Signet encrypted params) fails too (MCPS-022)." };
        var pubkeys = new Option<string[]>("--pubkey") { Description = "A trusted key for the signature sweep (key name, file, or ed25519: string); repeatable." };
        var anchorKeys = new Option<string[]>("--anchor-key")
        {
            Description = "A key checkpoints and anchors in anchors/ must be signed by (key name, file, or ed25519: string); repeatable. Default: the key named 'audit', if it exists, and the anchor keys of the authorities pinned in AGENTTRUST_HOME/pinned-authorities.json. Checkpoints signed by any other key are a break; with no key at all they are matched but reported as unpinned.",
        };
        var authority = AuthorityOption("A Trust Authority's URL: also check its record of this log (a chain shorter than the head it anchored is a break, even if anchors/ was deleted). Unreachable: exit 3, MCPS-007.");
        var authorityKey = AuthorityKeyOption();
        var paramsKeys = new Option<string[]>("--params-key")
        {
            Description = "With --signatures: a key-store name of a signer whose Signet encrypted params (receipts.md §7.7) may be decrypted to check its signatures; repeatable. Without it such records are unverifiable (exit 1).",
        };
        var logId = new Option<string?>("--log-id")
        {
            Description = "With --authority: the log id (sha256:…, printed by 'audit anchor') to ask the authority about. Default: the id last anchored for this directory (recorded in AGENTTRUST_HOME/anchored-logs.json by 'audit anchor' and automatic anchoring), else the one read from the log; so a log rewritten from its first record is caught too.",
        };
        var allowUnanchored = new Option<bool>("--allow-unanchored")
        {
            Description = "With --authority: accept a log the authority holds no anchor of (a new log not anchored yet) or an empty log. Without it both fail (exit 1, MCPS-023: authority_no_anchor, log_missing), since a deleted or rewritten log looks exactly like that.",
        };
        var json = JsonOption();
        var command = new Command("verify", "Verify the hash chain (and signatures with --signatures) and the checkpoints; exit 1 with the first broken record.")
        {
            dir, signatures, pubkeys, paramsKeys, anchorKeys, authority, authorityKey, logId, allowUnanchored, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var directory = parseResult.GetValue(dir) ?? ReceiptKeys.DefaultAuditDirectory(context);
            if (!Directory.Exists(directory))
            {
                throw CliFailure.Environment("AT-FILE-NOT-FOUND", $"Directory '{directory}' does not exist.");
            }

            var asJson = parseResult.GetValue(json);
            var anchors = new PinnedReceiptKeys();
            foreach (var key in parseResult.GetValue(pubkeys) ?? [])
            {
                anchors.Pin(await ReceiptKeys.ResolvePublicKeyAsync(context, key, cancellationToken).ConfigureAwait(false));
            }

            var pinned = new List<VerificationKey>();
            var anchorKeyValues = parseResult.GetValue(anchorKeys) ?? [];
            foreach (var key in anchorKeyValues.Length > 0 ? anchorKeyValues : DefaultAnchorKey(context))
            {
                ReceiptEncoding.TryParsePublicKey(await ReceiptKeys.ResolvePublicKeyAsync(context, key, cancellationToken).ConfigureAwait(false), out var parsed);
                pinned.Add(parsed!);
            }

            if (anchorKeyValues.Length == 0)
            {
                // Anchors deposited automatically (the gateway, 'audit anchor --watch') are signed by authorities pinned in
                // AGENTTRUST_HOME, independently of the log: they count by default too.
                pinned.AddRange(await AuthorityAnchorPins.AllAsync(context, cancellationToken).ConfigureAwait(false));
            }

            IReadOnlyList<AuditAnchor> authorityAnchors = [];
            AuthorityVerdict? verdict = null;
            if (parseResult.GetValue(authority) is { } authorityUrl)
            {
                var askedLogId = parseResult.GetValue(logId) ?? AnchoredLogIds.Find(context, directory) ?? AuditVerifier.ReadLogId(directory);
                var (held, authorityAnchorKey) = await FetchAuthorityAnchorAsync(context, askedLogId, authorityUrl, parseResult.GetValue(authorityKey), cancellationToken).ConfigureAwait(false);
                pinned.Add(authorityAnchorKey);
                authorityAnchors = held is null ? [] : [held];
                verdict = new AuthorityVerdict(askedLogId, held?.RecordCount, parseResult.GetValue(allowUnanchored));
            }

            using var seeds = await ParamsSeeds.OpenAsync(context, parseResult.GetValue(paramsKeys) ?? [], cancellationToken).ConfigureAwait(false);
            var options = new AuditVerificationOptions
            {
                ParamsSeedResolver = seeds.Resolve,
                Signatures = parseResult.GetValue(signatures),
                TrustAnchors = anchors,
                AnchorKeys = pinned,
                AuthorityAnchors = authorityAnchors,
                Time = context.Time,
            };
            AuditVerificationReport report;
            if (!asJson && context.IsInteractive && !Console.IsErrorRedirected)
            {
                report = await AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) }).Progress().StartAsync(async progress =>
                {
                    var task = progress.AddTask("Verifying audit log", maxValue: 1);
                    var reporter = new Progress<AuditVerificationProgress>(p =>
                    {
                        task.MaxValue = Math.Max(1, p.TotalBytes);
                        task.Value = p.BytesRead;
                        task.Description = $"Verifying audit log ({p.RecordsVerified:N0} records)";
                    });
                    return await AuditVerifier.VerifyAsync(directory, options with { Progress = reporter }, cancellationToken).ConfigureAwait(false);
                }).ConfigureAwait(false);
            }
            else
            {
                report = await AuditVerifier.VerifyAsync(directory, options, cancellationToken).ConfigureAwait(false);
            }

            if (verdict?.Failure is { } failure && report.FirstBreak is null)
            {
                // The authority vouches for nothing here: a deleted, emptied or rewritten log looks exactly like this.
                report = report with { Valid = false, FirstBreak = failure };
            }

            if (asJson)
            {
                var reportJson = ReportJson(report);
                if (verdict is not null)
                {
                    reportJson["authority_anchor"] = verdict.ToJson();
                }

                await context.Out.WriteLineAsync(reportJson.ToJsonString()).ConfigureAwait(false);
                return report.Valid ? ExitCodes.Success : ExitCodes.Rejected;
            }

            if (report.FirstBreak is { } unvouched && ReferenceEquals(unvouched, verdict?.Failure))
            {
                throw CliFailure.Rejected(unvouched.Code.ToCodeString(), $"{unvouched.Reason}: {unvouched.Expected}: {unvouched.Actual}");
            }

            if (report.FirstBreak is { } broken)
            {
                await context.Error.WriteLineAsync($"Chain broken at {broken.File}:{broken.Line} ({broken.Reason})").ConfigureAwait(false);
                if (broken.Expected is not null || broken.Actual is not null)
                {
                    await context.Error.WriteLineAsync($"  expected: {broken.Expected}").ConfigureAwait(false);
                    await context.Error.WriteLineAsync($"  actual:   {broken.Actual}").ConfigureAwait(false);
                }

                throw CliFailure.Rejected(broken.Code.ToCodeString(), $"record {broken.RecordNumber} at {broken.File}:{broken.Line}: {broken.Reason}");
            }

            if (report.FirstUnverifiable is { } unverifiable)
            {
                // The chain is intact, but not every signature could be checked: that is not a verified log.
                await context.Out.WriteLineAsync($"Chain intact: {report.RecordCount} records (hash chain only)").ConfigureAwait(false);
                throw CliFailure.Rejected(unverifiable.Code.ToCodeString(),
                    $"{report.EncryptedUnverified} record(s) could not be signature-checked (first: record {unverifiable.RecordNumber} at {unverifiable.File}:{unverifiable.Line}: {unverifiable.Reason})");
            }

            await context.Out.WriteLineAsync($"Chain intact: {report.RecordCount} records verified").ConfigureAwait(false);
            if (verdict is { HeldRecordCount: null })
            {
                await context.Out.WriteLineAsync("warning: the authority holds no anchor of this log (accepted with --allow-unanchored)").ConfigureAwait(false);
            }
            if (options.Signatures)
            {
                await context.Out.WriteLineAsync($"Signatures: {report.SignaturesVerified} valid ({report.TrustedSignatures} with trusted keys), {report.UnsignedRecords} unsigned").ConfigureAwait(false);
            }

            if (report.AnchorsChecked > 0)
            {
                await context.Out.WriteLineAsync($"Checkpoints: {report.AnchorsChecked} matched (signed by pinned keys)").ConfigureAwait(false);
            }

            foreach (var warning in report.Warnings)
            {
                await context.Out.WriteLineAsync($"warning: {warning}").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateShow(CliContext context)
    {
        var dir = DirOption();
        var since = new Option<string?>("--since") { Description = "Only records whose receipt time is within this period: 90s, 30m, 24h, 7d." };
        var tool = new Option<string?>("--tool") { Description = "Only records for this tool." };
        var json = JsonOption();
        var command = new Command("show", "List the records of the audit log.") { dir, since, tool, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var directory = parseResult.GetValue(dir) ?? ReceiptKeys.DefaultAuditDirectory(context);
            DateTimeOffset? from = parseResult.GetValue(since) is { } period ? context.Time.GetUtcNow() - ParsePeriod(period) : null;
            var toolFilter = parseResult.GetValue(tool);
            var rows = new List<JsonObject>();
            foreach (var file in Directory.Exists(directory) ? Directory.GetFiles(directory, "*.jsonl").Order(StringComparer.Ordinal).ToArray() : Array.Empty<string>())
            {
                foreach (var line in await File.ReadAllLinesAsync(file, cancellationToken).ConfigureAwait(false))
                {
                    if (string.IsNullOrWhiteSpace(line) || JsonNode.Parse(line) is not JsonObject record || record["receipt"] is not JsonObject receipt)
                    {
                        continue;
                    }

                    var (time, toolName) = Describe(receipt);
                    if ((from is { } f && (time is null || time < f)) || (toolFilter is not null && toolName != toolFilter))
                    {
                        continue;
                    }

                    rows.Add(record);
                }
            }

            if (parseResult.GetValue(json))
            {
                await context.Out.WriteLineAsync(new JsonArray([.. rows]).ToJsonString()).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            foreach (var record in rows)
            {
                var receipt = (JsonObject)record["receipt"]!;
                var (time, toolName) = Describe(receipt);
                var version = receipt["v"]?.ToJsonString() ?? "-";
                var kind = receipt.ContainsKey("sig") ? $"v{version}" : "unsigned";
                var target = (receipt["action"] ?? receipt["agent_receipt"]?["action"])?["target"]?.GetValue<string>() ?? "";
                var id = receipt["id"]?.GetValue<string>() ?? "";
                var stamp = time?.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "-";
                await context.Out.WriteLineAsync($"{stamp}  {kind,-8}  {toolName ?? "-",-24}  {target,-28}  {id}").ConfigureAwait(false);
            }

            await context.Out.WriteLineAsync($"{rows.Count} records").ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateCheckpoint(CliContext context)
    {
        var dir = DirOption();
        var key = new Option<string>("--key") { Description = "The Ed25519 key that signs the checkpoint (default: the key named 'audit').", DefaultValueFactory = _ => "audit" };
        var json = JsonOption();
        var command = new Command("checkpoint", "Sign a checkpoint of the chain head into anchors/ (detects later truncation of the tail).") { dir, key, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var directory = parseResult.GetValue(dir) ?? ReceiptKeys.DefaultAuditDirectory(context);
            var keyName = parseResult.GetValue(key)!;
            var (signingKey, _) = await ReceiptKeys.OpenSigningKeyAsync(context, keyName, cancellationToken).ConfigureAwait(false);
            using (signingKey)
            {
                await using var log = await OpenLogAsync(context, directory, cancellationToken).ConfigureAwait(false);
                if (log.Head.RecordCount == 0)
                {
                    throw CliFailure.Rejected("AT-AUDIT-EMPTY", "The audit log is empty: nothing to checkpoint.");
                }

                var anchor = await log.CheckpointAsync(signingKey, keyName, cancellationToken).ConfigureAwait(false);
                if (parseResult.GetValue(json))
                {
                    await context.Out.WriteLineAsync(anchor.ToJsonString()).ConfigureAwait(false);
                }
                else
                {
                    await context.Out.WriteLineAsync($"Checkpoint: {anchor.RecordCount} records, head {anchor.RecordHash}").ConfigureAwait(false);
                    await context.Out.WriteLineAsync($"Written to {Path.Combine(directory, AuditAnchor.FolderName, AuditAnchor.CheckpointFileName(anchor.RecordCount))}").ConfigureAwait(false);
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateAnchor(CliContext context)
    {
        var dir = DirOption();
        var key = new Option<string>("--key") { Description = "The Ed25519 key that proves the log is yours to the authority (default: the key named 'audit').", DefaultValueFactory = _ => "audit" };
        var authority = AuthorityOption($"The Trust Authority's URL (default {AuthorityCommand.UrlVariable} or http://127.0.0.1:8080).");
        var authorityKey = AuthorityKeyOption();
        var json = JsonOption();
        var watch = new Option<bool>("--watch")
        {
            Description = "Keep running and anchor automatically as other writers (the gateway, 'receipt sign') append: every --every records or --interval seconds, and once more when stopped (Ctrl-C). Prints each anchor and failure; exit 1 when the authority refused a head because the log diverged from what it anchored (MCPS-023) or because another key deposited this log id first (MCPS-004, wrong_submitter). A refusal counts only when the authority's signed record of the log confirms it; an unconfirmed one is a failure, retried.",
        };
        var every = new Option<int>("--every") { Description = "With --watch: anchor after this many new records (default 100).", DefaultValueFactory = _ => 100 };
        var interval = new Option<int>("--interval") { Description = "With --watch: anchor new records at least every this many seconds (default 60).", DefaultValueFactory = _ => 60 };
        var command = new Command("anchor", "Deposit the chain head at a Trust Authority (receipts.md §7.6) and store its signed anchor in anchors/ (<count>.anchor.json). 'audit verify --authority URL' later checks the chain against the authority's record.")
        {
            dir, key, authority, authorityKey, json, watch, every, interval,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var directory = parseResult.GetValue(dir) ?? ReceiptKeys.DefaultAuditDirectory(context);
            var keyName = parseResult.GetValue(key)!;
            using var http = AuthorityCommand.HttpFor(context, parseResult.GetValue(authority));
            if (parseResult.GetValue(watch))
            {
                if (parseResult.GetValue(every) < 1 || parseResult.GetValue(interval) < 1)
                {
                    throw CliFailure.Usage("--every and --interval must be at least 1.");
                }

                return await WatchAsync(context, directory, http, keyName, parseResult.GetValue(authorityKey), parseResult.GetValue(every), parseResult.GetValue(interval), cancellationToken).ConfigureAwait(false);
            }

            var pinned = await AuthorityAnchorPins.ResolveAsync(context, http.BaseAddress!, parseResult.GetValue(authorityKey), cancellationToken).ConfigureAwait(false);
            var client = new TrustAuthorityClient(http, new TrustAuthorityClientOptions { AnchorKey = pinned }, context.Time);
            var (signingKey, _) = await ReceiptKeys.OpenSigningKeyAsync(context, keyName, cancellationToken).ConfigureAwait(false);
            using (signingKey)
            {
                AuditHead head;
                await using (var log = await OpenLogAsync(context, directory, cancellationToken).ConfigureAwait(false))
                {
                    head = log.Head;
                }

                if (head.LogId is null)
                {
                    throw CliFailure.Rejected("AT-AUDIT-EMPTY", "The audit log is empty: nothing to anchor.");
                }

                var result = await client.AnchorCheckpointAsync(head.LogId, head.RecordCount, head.RecordHash, signingKey, cancellationToken).ConfigureAwait(false);
                if (!result.IsSuccess)
                {
                    throw AuthorityCommand.Failure(result.Code ?? McpsCode.InternalError, result.Reason ?? "failed");
                }

                if (pinned is null)
                {
                    await AuthorityAnchorPins.PinAsync(context, http.BaseAddress!, (await client.GetAnchorKeyAsync(cancellationToken).ConfigureAwait(false))!, cancellationToken).ConfigureAwait(false);
                }

                var anchor = AuditAnchor.TryParse(System.Text.Encoding.UTF8.GetBytes(result.Value!.ToJsonString()), out _)!;
                var written = await anchor.WriteAsync(directory, cancellationToken).ConfigureAwait(false);
                AnchoredLogIds.Record(context, directory, anchor.LogId);
                if (parseResult.GetValue(json))
                {
                    await context.Out.WriteLineAsync(anchor.ToJsonString()).ConfigureAwait(false);
                }
                else
                {
                    await context.Out.WriteLineAsync($"Anchored at {http.BaseAddress}: log {anchor.LogId}, {anchor.RecordCount} records, head {anchor.RecordHash}").ConfigureAwait(false);
                    await context.Out.WriteLineAsync($"Written to {written}").ConfigureAwait(false);
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary><c>audit anchor --watch</c>: follows the log and anchors it automatically until cancelled.</summary>
    private static async Task<int> WatchAsync(CliContext context, string directory, HttpClient http, string keyName, string? authorityKey, int every, int interval, CancellationToken cancellationToken)
    {
        var (signingKey, _) = await ReceiptKeys.OpenSigningKeyAsync(context, keyName, cancellationToken).ConfigureAwait(false);
        using (signingKey)
        {
            var gate = new Lock();
            void Print(string line)
            {
                lock (gate)
                {
                    context.Out.WriteLine(line);
                    context.Out.Flush();
                }
            }

            var anchoring = await AuditAnchoringSetup.CreateAsync(context, directory, http, signingKey, authorityKey, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, cancellationToken, status =>
            {
                if (status.ClaimedByAnotherKey)
                {
                    Print($"Refused by the authority ({status.LastFailureCode?.ToCodeString()} {status.LastFailureReason}): another key deposited this log id first (security alert: someone else claimed this log); anchoring stopped");
                }
                else if (status.Refused)
                {
                    Print($"Refused by the authority ({status.LastFailureCode?.ToCodeString()} {status.LastFailureReason}): the log diverged from what it anchored; anchoring stopped");
                }
                else if (status.LastFailureReason is { } reason)
                {
                    Print($"Anchoring failed ({status.LastFailureCode?.ToCodeString()} {reason}, attempt {status.ConsecutiveFailures}); retrying");
                }
                else
                {
                    Print($"Anchored: {status.AnchoredRecordCount} records ({status.AnchorFile})");
                }
            }).ConfigureAwait(false);
            anchoring = anchoring with { EveryRecords = every, Interval = TimeSpan.FromSeconds(interval) };
            Print($"Watching {directory}: anchoring at {http.BaseAddress} every {every} records or {interval} s; stop with Ctrl-C (the last head is anchored first).");
            AuditLog log;
            try
            {
                log = await AuditLog.OpenAsync(new AuditLogOptions { Directory = directory, Time = context.Time, Anchoring = anchoring }, cancellationToken).ConfigureAwait(false);
            }
            catch (AuditLogException e)
            {
                throw CliFailure.Rejected(e.Code.ToCodeString(), e.Message);
            }

            try
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    await log.RefreshAsync(cancellationToken).ConfigureAwait(false);
                    await Task.Delay(TimeSpan.FromSeconds(1), context.Time, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
            catch (AuditLogException e)
            {
                await log.DisposeAsync().ConfigureAwait(false);
                throw CliFailure.Rejected(e.Code.ToCodeString(), e.Message);
            }

            try
            {
                await log.RefreshAsync(CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                await log.DisposeAsync().ConfigureAwait(false);
            }

            var final = log.AnchoringStatus!;
            if (final.ClaimedByAnotherKey)
            {
                throw CliFailure.Rejected(McpsCode.InvalidSignature.ToCodeString(), "the authority binds this log id to another key (wrong_submitter): someone else deposited it first");
            }

            if (final.Refused)
            {
                throw CliFailure.Rejected(McpsCode.AuditChainBroken.ToCodeString(), $"the authority refused the log's head ({final.LastFailureReason}): it diverged from what the authority anchored");
            }

            return ExitCodes.Success;
        }
    }

    /// <summary>The authority's anchor of <paramref name="logId"/> (null when it holds none, or no id is known) and its pinned anchor key.</summary>
    private static async Task<(AuditAnchor? Anchor, VerificationKey Key)> FetchAuthorityAnchorAsync(CliContext context, string? logId, string url, string? explicitKey, CancellationToken cancellationToken)
    {
        using var http = AuthorityCommand.HttpFor(context, url);
        var pinned = await AuthorityAnchorPins.ResolveAsync(context, http.BaseAddress!, explicitKey, cancellationToken).ConfigureAwait(false);
        var client = new TrustAuthorityClient(http, new TrustAuthorityClientOptions { AnchorKey = pinned }, context.Time);
        AuditAnchor? anchor = null;
        if (logId is not null)
        {
            var result = await client.GetAnchorAsync(logId, cancellationToken).ConfigureAwait(false);
            if (result.IsSuccess)
            {
                anchor = AuditAnchor.TryParse(System.Text.Encoding.UTF8.GetBytes(result.Value!.ToJsonString()), out _);
            }
            else if (result.HttpStatus != 404 || result.Reason != CheckpointAnswer.UnknownLog)
            {
                // "None held" counts only when the authority's signed answer says so (the client refuses an unsigned 404).
                throw AuthorityCommand.Failure(result.Code ?? McpsCode.InternalError, result.Reason ?? "failed");
            }
        }

        var key = await client.GetAnchorKeyAsync(cancellationToken).ConfigureAwait(false)
            ?? throw AuthorityCommand.Failure(McpsCode.AuthorityUnreachable, "status_unavailable");
        if (pinned is null)
        {
            await AuthorityAnchorPins.PinAsync(context, http.BaseAddress!, key, cancellationToken).ConfigureAwait(false);
        }

        return (anchor, key);
    }

    /// <summary>What the authority said about the log 'audit verify --authority' asked it about.</summary>
    private sealed record AuthorityVerdict(string? LogId, long? HeldRecordCount, bool AllowUnanchored)
    {
        /// <summary>The break to report when the authority vouches for nothing and that was not explicitly accepted.</summary>
        public AuditBreak? Failure { get; } = AllowUnanchored || HeldRecordCount is not null
            ? null
            : LogId is null
                ? new AuditBreak(AuditVerifier.AuthoritySource, 0, 0, McpsCode.AuditChainBroken, "log_missing", "a log anchored at the authority", "no readable record (pass --allow-unanchored to accept an empty log)")
                : new AuditBreak(AuditVerifier.AuthoritySource, 0, 0, McpsCode.AuditChainBroken, "authority_no_anchor", LogId, "the authority holds no anchor of this log id (a new or rewritten log; pass --allow-unanchored to accept)");

        public JsonObject ToJson() => new()
        {
            ["log_id"] = LogId,
            ["held"] = HeldRecordCount is { } held ? JsonValue.Create(held) : JsonValue.Create("none"),
            ["allowed_unanchored"] = AllowUnanchored && HeldRecordCount is null,
        };
    }

    internal static JsonObject ReportJson(AuditVerificationReport report) => new()
    {
        ["valid"] = report.Valid,
        ["records"] = report.RecordCount,
        ["log_id"] = report.LogId,
        ["head"] = report.HeadHash,
        ["signatures_verified"] = report.SignaturesVerified,
        ["trusted_signatures"] = report.TrustedSignatures,
        ["unsigned"] = report.UnsignedRecords,
        ["encrypted_unverified"] = report.EncryptedUnverified,
        ["anchors_checked"] = report.AnchorsChecked,
        ["first_break"] = BreakJson(report.FirstBreak),
        ["first_unverifiable"] = BreakJson(report.FirstUnverifiable),
        ["warnings"] = new JsonArray([.. report.Warnings.Select(w => (JsonNode?)JsonValue.Create(w))]),
    };

    private static JsonObject? BreakJson(AuditBreak? b) => b is null
        ? null
        : new JsonObject
        {
            ["file"] = b.File,
            ["line"] = b.Line,
            ["record"] = b.RecordNumber,
            ["code"] = b.Code.ToCodeString(),
            ["reason"] = b.Reason,
            ["expected"] = b.Expected,
            ["actual"] = b.Actual,
        };

    private static (DateTimeOffset? Time, string? Tool) Describe(JsonObject receipt)
    {
        var timeText = (receipt["ts"] ?? receipt["ts_response"] ?? receipt["ts_request"]) is JsonValue t && t.TryGetValue(out string? s) ? s : null;
        DateTimeOffset? time = ReceiptEncoding.TryParseTimestamp(timeText, out var parsed) ? parsed : null;
        var action = receipt["action"] ?? receipt["agent_receipt"]?["action"];
        var tool = (action?["tool"] ?? receipt["tool"]) is JsonValue v && v.TryGetValue(out string? name) ? name : null;
        return (time, tool);
    }

    private static TimeSpan ParsePeriod(string text)
    {
        if (text.Length >= 2 && long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 && n < 1_000_000)
        {
            switch (text[^1])
            {
                case 's': return TimeSpan.FromSeconds(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 'h': return TimeSpan.FromHours(n);
                case 'd': return TimeSpan.FromDays(n);
            }
        }

        throw CliFailure.Usage($"--since: '{text}' is not a period such as 90s, 30m, 24h or 7d.");
    }
}
