using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Receipts;
using AgentTrust.TrustAuthority;

namespace AgentTrust.Audit;

/// <summary>
/// A signed checkpoint of a chain head (receipts.md §7.6):
/// <c>{"v":1,"type":"audit_anchor","log_id","record_count","record_hash","anchored_at","authority":{"pubkey","name"},"nonce","sig"}</c>,
/// Ed25519 over the JCS of the object without <c>sig</c>. Stored as <c>anchors/&lt;record_count, 20 digits&gt;.anchor.json</c>
/// beside the log, where Signet's <c>*.jsonl</c> walk never sees it. A Trust Authority signs the same object.
/// </summary>
public sealed class AuditAnchor
{
    /// <summary>The folder of anchors inside a log directory.</summary>
    public const string FolderName = "anchors";

    private const string AnchorSuffix = ".anchor.json";
    private const string CheckpointSuffix = ".checkpoint.json";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private AuditAnchor(JsonObject json, string logId, long recordCount, string recordHash, DateTimeOffset anchoredAt, VerificationKey authorityKey)
    {
        AuthorityKey = authorityKey;
        Json = json;
        LogId = logId;
        RecordCount = recordCount;
        RecordHash = recordHash;
        AnchoredAt = anchoredAt;
        AuthorityPublicKey = ReceiptEncoding.FormatPublicKey(authorityKey);
    }

    /// <summary>The log id (the first record's hash).</summary>
    public string LogId { get; }

    /// <summary>The number of records covered.</summary>
    public long RecordCount { get; }

    /// <summary>The <c>record_hash</c> of record <see cref="RecordCount"/>.</summary>
    public string RecordHash { get; }

    /// <summary>When the anchor was signed.</summary>
    public DateTimeOffset AnchoredAt { get; }

    /// <summary>The signing authority's key, <c>ed25519:…</c>, as embedded in the anchor (not trusted by itself).</summary>
    public string AuthorityPublicKey { get; }

    /// <summary>The embedded key the signature verified with: trust it only when it equals a pinned key (<see cref="IsSignedByAny"/>).</summary>
    public VerificationKey AuthorityKey { get; }

    internal JsonObject Json { get; }

    /// <summary>
    /// True when the anchor was signed by one of <paramref name="pinnedKeys"/> (a Trust Authority's anchor key or a local
    /// checkpoint key obtained independently of the anchor). The signature itself was checked when the anchor was read.
    /// </summary>
    public bool IsSignedByAny(IEnumerable<VerificationKey>? pinnedKeys) => pinnedKeys is not null && pinnedKeys.Contains(AuthorityKey);

    /// <summary>The anchor as indented JSON.</summary>
    public string ToJsonString() => Json.ToJsonString(Indented);

    /// <summary>The file name of a Trust Authority's anchor covering <paramref name="recordCount"/> records (receipts.md §7.6).</summary>
    public static string FileName(long recordCount) => Digits(recordCount) + AnchorSuffix;

    /// <summary>
    /// The file name of a local checkpoint (<see cref="AuditLog.CheckpointAsync"/>) covering <paramref name="recordCount"/>
    /// records: distinct from <see cref="FileName"/>, so a checkpoint and an authority's anchor of the same head both stay.
    /// </summary>
    public static string CheckpointFileName(long recordCount) => Digits(recordCount) + CheckpointSuffix;

    private static string Digits(long recordCount) => recordCount.ToString("D20", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Signs an anchor of <paramref name="head"/>.</summary>
    public static AuditAnchor Create(AuditHead head, SigningKey authorityKey, string authorityName, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(authorityKey);
        ArgumentException.ThrowIfNullOrEmpty(authorityName);
        if (head.LogId is null || head.RecordCount < 1)
        {
            throw new ArgumentException("An empty log cannot be anchored.", nameof(head));
        }

        var now = (time ?? TimeProvider.System).GetUtcNow();
        var authorityPublicKey = ReceiptEncoding.FormatPublicKey(authorityKey.PublicKey);
        var json = new JsonObject
        {
            ["v"] = 1,
            ["type"] = "audit_anchor",
            ["log_id"] = head.LogId,
            ["record_count"] = head.RecordCount,
            ["record_hash"] = head.RecordHash,
            ["anchored_at"] = ReceiptEncoding.FormatTimestamp(now),
            ["authority"] = new JsonObject { ["pubkey"] = authorityPublicKey, ["name"] = authorityName },
            ["nonce"] = ReceiptEncoding.NewNonce(),
        };
        AuthoritySignedDocument.SignEd25519(json, authorityKey);
        ReceiptEncoding.TryParseTimestamp(json["anchored_at"]!.GetValue<string>(), out var anchoredAt);
        return new AuditAnchor(json, head.LogId, head.RecordCount, head.RecordHash, anchoredAt, authorityKey.PublicKey);
    }

    /// <summary>
    /// Parses and checks an anchor: shape, member types and its signature with the embedded authority key. That key is
    /// not trusted by itself: the caller checks it against pinned keys (<see cref="IsSignedByAny"/>). Never throws on bad input.
    /// </summary>
    public static AuditAnchor? TryParse(ReadOnlySpan<byte> utf8Json, out string? reason)
    {
        var json = Receipt.ParseObject(utf8Json, out reason);
        if (json is null)
        {
            return null;
        }

        reason = "anchor_invalid";
        string[] known = ["v", "type", "log_id", "record_count", "record_hash", "anchored_at", "authority", "nonce", "sig"];
        if (json.Any(p => Array.IndexOf(known, p.Key) < 0) || !ReceiptShape.IsInteger(json["v"], 1)
            || ReceiptShape.GetString(json, "type") != "audit_anchor"
            || !ReceiptEncoding.IsHashTag(ReceiptShape.GetString(json, "log_id")) || !ReceiptEncoding.IsHashTag(ReceiptShape.GetString(json, "record_hash"))
            || json["record_count"] is not JsonValue countValue || !countValue.TryGetValue(out long count) || count < 1
            || !ReceiptEncoding.TryParseTimestamp(ReceiptShape.GetString(json, "anchored_at"), out var anchoredAt)
            || json["authority"] is not JsonObject authority || authority.Count != 2 || ReceiptShape.GetString(authority, "name") is null
            || !ReceiptEncoding.TryParsePublicKey(ReceiptShape.GetString(authority, "pubkey"), out var key)
            || ReceiptShape.GetString(json, "nonce") is null
            || !ReceiptEncoding.TryParseSignature(ReceiptShape.GetString(json, "sig"), out _))
        {
            return null;
        }

        // The one preimage function the signer (Create, the Trust Authority) uses too.
        if (!AuthoritySignedDocument.VerifyEd25519(json, key!).IsValid)
        {
            reason = "anchor_bad_signature";
            return null;
        }

        reason = null;
        return new AuditAnchor(json, ReceiptShape.GetString(json, "log_id")!, count, ReceiptShape.GetString(json, "record_hash")!, anchoredAt, key!);
    }

    /// <summary>
    /// Writes a Trust Authority's anchor atomically (temporary file, fsync, rename, directory fsync) to
    /// <c>anchors/</c><see cref="FileName"/> under <paramref name="logDirectory"/>; returns the path.
    /// </summary>
    public Task<string> WriteAsync(string logDirectory, CancellationToken cancellationToken = default) =>
        WriteAsync(logDirectory, FileName(RecordCount), cancellationToken);

    /// <summary>Writes the anchor atomically under <c>anchors/</c> as <paramref name="fileName"/>; returns the path.</summary>
    internal async Task<string> WriteAsync(string logDirectory, string fileName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(logDirectory);
        var folder = Path.Combine(logDirectory, FolderName);
        if (!Directory.Exists(folder))
        {
            Directory.CreateDirectory(folder);
            AuditDirectorySync.Flush(logDirectory);
        }

        var path = Path.Combine(folder, fileName);
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None);
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(ToJsonString() + "\n"), cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            // Cancelled or failed before the rename: leave no temporary file behind.
            File.Delete(temporary);
            throw;
        }

        AuditDirectorySync.Flush(folder);
        return path;
    }

    /// <summary>
    /// Reads every anchor of a log directory: the Trust Authority's (<see cref="FileName"/>) and local checkpoints
    /// (<see cref="CheckpointFileName"/>). Files that fail to parse or verify are returned as problems.
    /// </summary>
    public static (IReadOnlyList<AuditAnchor> Anchors, IReadOnlyList<(string File, string Reason)> Problems) ReadAll(string logDirectory)
    {
        var (found, problems) = ReadFiles(logDirectory);
        return ([.. found.Select(f => f.Anchor)], problems);
    }

    /// <summary><see cref="ReadAll"/> with the file each anchor was read from.</summary>
    internal static (IReadOnlyList<(string File, AuditAnchor Anchor)> Anchors, IReadOnlyList<(string File, string Reason)> Problems) ReadFiles(string logDirectory)
    {
        var anchors = new List<(string, AuditAnchor)>();
        var problems = new List<(string, string)>();
        var folder = Path.Combine(logDirectory, FolderName);
        if (!Directory.Exists(folder))
        {
            return (anchors, problems);
        }

        var files = Directory.GetFiles(folder, "*" + AnchorSuffix).Concat(Directory.GetFiles(folder, "*" + CheckpointSuffix));
        foreach (var file in files.Order(StringComparer.Ordinal))
        {
            var anchor = TryParse(File.ReadAllBytes(file), out var reason);
            var name = Path.GetFileName(file);
            if (anchor is null)
            {
                problems.Add((file, reason ?? "anchor_invalid"));
            }
            else if (name != FileName(anchor.RecordCount) && name != CheckpointFileName(anchor.RecordCount))
            {
                problems.Add((file, "anchor_misnamed"));
            }
            else
            {
                anchors.Add((file, anchor));
            }
        }

        return (anchors, problems);
    }
}
