using AgentTrust.Errors;

namespace AgentTrust.Audit;

/// <summary>
/// What a writer knows about the end of the chain on disk: the newest file, its length, the head. Refreshed under the
/// directory lock before every batch: unchanged files cost one stat; records another process appended are verified
/// link by link; a torn last line (a crash mid-write: no final newline) is truncated; anything else is corruption.
/// </summary>
internal sealed class AuditTail(string directory)
{
    private bool _synced;

    public AuditHead Head { get; private set; } = new(null, 0, AuditRecordFormat.Genesis);

    public string? CurrentFile { get; private set; }

    public long CurrentLength { get; private set; }

    /// <summary>Forgets the cached state: the next <see cref="Resync"/> re-reads the tail from disk.</summary>
    public void Invalidate() => _synced = false;

    /// <summary>Records a successful append.</summary>
    public void Advanced(string file, long length, AuditHead head)
    {
        CurrentFile = file;
        CurrentLength = length;
        Head = head;
    }

    /// <summary>Brings the state up to date with the disk. Must be called under the directory lock.</summary>
    /// <exception cref="AuditLogException">The tail is corrupt or the log was cut (MCPS-023).</exception>
    public void Resync()
    {
        var files = AuditFiles.List(directory);
        if (!_synced)
        {
            Load(files);
            _synced = true;
            return;
        }

        if (files.Count == 0)
        {
            if (Head.RecordCount > 0)
            {
                throw Corrupt("truncated", "the log files were removed");
            }

            return;
        }

        var newest = files[^1];
        if (CurrentFile is null)
        {
            foreach (var file in files)
            {
                ProcessRegion(file, 0, file == newest);
            }

            return;
        }

        var index = IndexOf(files, CurrentFile);
        if (index < 0)
        {
            throw Corrupt("truncated", $"{Path.GetFileName(CurrentFile)} was removed");
        }

        var length = new FileInfo(CurrentFile).Length;
        if (length < CurrentLength)
        {
            throw Corrupt("truncated", $"{Path.GetFileName(CurrentFile)} shrank");
        }

        if (length > CurrentLength)
        {
            ProcessRegion(CurrentFile, CurrentLength, index == files.Count - 1);
        }

        for (var i = index + 1; i < files.Count; i++)
        {
            ProcessRegion(files[i], 0, i == files.Count - 1);
        }
    }

    private void Load(IReadOnlyList<string> files)
    {
        Head = new AuditHead(null, 0, AuditRecordFormat.Genesis);
        CurrentFile = null;
        CurrentLength = 0;
        if (files.Count == 0)
        {
            return;
        }

        var newest = files[^1];
        RepairTornTail(newest);
        long count = 0;
        foreach (var file in files)
        {
            count += AuditFiles.CountLines(file);
        }

        CurrentFile = newest;
        CurrentLength = new FileInfo(newest).Length;
        if (count == 0)
        {
            return;
        }

        var last = AuditFiles.LastLines(files, 2);
        var (lastFile, lastLine) = last[^1];
        var lastRecord = Check(lastLine, lastFile);
        var expectedPrev = last.Count == 2 ? Check(last[0].Line, last[0].File).RecordHash : AuditRecordFormat.Genesis;
        if (count == 1 && last.Count == 2)
        {
            throw Corrupt("corrupt_tail", "line count and tail disagree");
        }

        if (lastRecord.PrevHash != expectedPrev)
        {
            throw Corrupt("corrupt_tail", $"the last record of {Path.GetFileName(lastFile)} does not link to the one before it");
        }

        var first = AuditFiles.FirstLine(files);
        var firstRecord = first is null ? null : Check(first.Value.Line, first.Value.File);
        if (firstRecord is null || firstRecord.PrevHash != AuditRecordFormat.Genesis)
        {
            throw Corrupt("corrupt_tail", "the first record does not start from genesis");
        }

        Head = new AuditHead(firstRecord.RecordHash, count, lastRecord.RecordHash);
    }

    private void ProcessRegion(string file, long offset, bool isNewest)
    {
        if (isNewest)
        {
            RepairTornTail(file, offset);
        }

        var bytes = AuditFiles.ReadFrom(file, offset);
        var span = bytes.AsSpan();
        var head = Head;
        var count = head.RecordCount;
        var prev = head.RecordHash;
        var logId = head.LogId;
        while (span.Length > 0)
        {
            var newline = span.IndexOf((byte)'\n');
            if (newline < 0)
            {
                throw Corrupt("corrupt_tail", $"{Path.GetFileName(file)} ends inside a record");
            }

            var line = span[..newline];
            span = span[(newline + 1)..];
            if (line.IsEmpty)
            {
                continue;
            }

            var record = Check(line.ToArray(), file);
            if (record.PrevHash != prev)
            {
                throw Corrupt("corrupt_tail", $"a record in {Path.GetFileName(file)} does not link to its predecessor (a fork)");
            }

            prev = record.RecordHash;
            logId ??= prev;
            count++;
        }

        Head = new AuditHead(logId, count, prev);
        CurrentFile = file;
        CurrentLength = offset + bytes.Length;
    }

    /// <summary>
    /// Deals with bytes after the last newline. A strict prefix of a record is a torn write: it was never acknowledged
    /// (acknowledgement follows fsync of the whole line), so it is truncated. A complete record missing only its newline
    /// is kept and terminated once its own hash checks (its link is checked with the rest of the tail); anything else is
    /// corruption and stops the writer, so a modified record is never discarded as if it were torn.
    /// </summary>
    private static void RepairTornTail(string file, long floor = 0)
    {
        var length = new FileInfo(file).Length;
        if (length == floor)
        {
            return;
        }

        var keep = AuditFiles.EndOfLastCompleteLine(file, floor);
        if (keep == length)
        {
            return;
        }

        var rest = AuditFiles.ReadFrom(file, keep);
        using var handle = File.OpenHandle(file, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        switch (AuditRecordFormat.ClassifyUnterminated(rest))
        {
            case UnterminatedLine.TornPrefix:
                RandomAccess.SetLength(handle, keep);
                break;
            case UnterminatedLine.Complete:
                Check(rest, file);
                RandomAccess.Write(handle, "\n"u8, length);
                break;
            default:
                throw Corrupt("corrupt_tail", $"{Path.GetFileName(file)} ends with bytes that are not part of a record");
        }

        RandomAccess.FlushToDisk(handle);
    }

    private static ParsedRecord Check(byte[] line, string file)
    {
        var reason = AuditRecordFormat.TryParseLine(line, out var receipt, out var prev, out var recordHash, out _);
        if (reason is null)
        {
            reason = AuditRecordFormat.CheckRecordHash(line.AsSpan()[receipt], prev!, recordHash!, out _);
        }

        if (reason is not null)
        {
            throw Corrupt("corrupt_tail", $"a record in {Path.GetFileName(file)} is corrupt ({reason})");
        }

        return new ParsedRecord(prev!, recordHash!);
    }

    private static int IndexOf(IReadOnlyList<string> files, string file)
    {
        for (var i = 0; i < files.Count; i++)
        {
            if (files[i] == file)
            {
                return i;
            }
        }

        return -1;
    }

    private static AuditLogException Corrupt(string reason, string message)
        => new(McpsCode.AuditChainBroken, reason, "The audit log tail is corrupt: " + message + ".");

    private sealed record ParsedRecord(string PrevHash, string RecordHash);
}
