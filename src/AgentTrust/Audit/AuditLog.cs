using System.Buffers;
using System.Globalization;
using System.Threading.Channels;
using AgentTrust.Cryptography;
using AgentTrust.Errors;
using AgentTrust.Json;
using AgentTrust.Receipts;
using Microsoft.Win32.SafeHandles;

namespace AgentTrust.Audit;

/// <summary>
/// The append-only, hash-chained audit log (receipts.md §7): Signet's record format and chain rule, one chain per
/// directory, files named by the UTC append date, one directory lock held across "read tail, compute, append, fsync".
/// A record is acknowledged only after fsync; concurrent appenders are batched into one write and one fsync (group
/// commit). On open the tail is verified; a torn last line left by a crash is truncated; a corrupt tail stops the
/// writer with MCPS-023.
/// </summary>
public sealed class AuditLog : IAsyncDisposable
{
    private readonly AuditLogOptions _options;
    private readonly Channel<PendingAppend> _queue = Channel.CreateUnbounded<PendingAppend>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _stateGate = new(1, 1);
    private readonly AuditTail _tail;
    private Task _loop = Task.CompletedTask;
    private SafeFileHandle? _handle;
    private string? _handleFile;
    private volatile AuditLogException? _fault;
    private volatile AuditHead _head;
    private AuditAnchorer? _anchorer;

    private AuditLog(AuditLogOptions options)
    {
        _options = options;
        _tail = new AuditTail(options.Directory);
        _head = new AuditHead(null, 0, AuditRecordFormat.Genesis);
    }

    /// <summary>The directory of the log.</summary>
    public string Directory => _options.Directory;

    /// <summary>How many times a new file's directory entry was made durable (for tests).</summary>
    internal int DirectorySyncs { get; private set; }

    /// <summary>The head as of the last acknowledged append (or open).</summary>
    public AuditHead Head => _head;

    /// <summary>Where automatic anchoring stands (<see cref="AuditLogOptions.Anchoring"/>); null when it is off.</summary>
    public AuditAnchoringStatus? AnchoringStatus => _anchorer?.Status;

    /// <summary>The anchoring task (for tests); null when anchoring is off.</summary>
    internal AuditAnchorer? Anchorer => _anchorer;

    /// <summary>
    /// Opens (creating if needed) the log in <see cref="AuditLogOptions.Directory"/>: takes the lock, verifies the tail,
    /// repairs a torn last line, and starts the writer.
    /// </summary>
    /// <exception cref="AuditLogException">The tail is corrupt (MCPS-023).</exception>
    public static async Task<AuditLog> OpenAsync(AuditLogOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Directory);
        System.IO.Directory.CreateDirectory(options.Directory);
        var log = new AuditLog(options);
        using (await AuditDirectoryLock.AcquireAsync(options.Directory, cancellationToken).ConfigureAwait(false))
        {
            log._tail.Resync();
            log._head = log._tail.Head;
        }

        if (options.Anchoring is { } anchoring)
        {
            log._anchorer = new AuditAnchorer(anchoring, options.Directory, log._head, options.Time, log.RefreshAsync);
        }

        log._loop = Task.Run(log.RunAsync, CancellationToken.None);
        return log;
    }

    /// <summary>
    /// Appends a receipt (stored as its canonical JSON) and returns once it is durable. Cancellation is honoured only
    /// before the record is queued: a queued record is written (and acknowledged) even if the caller stops waiting.
    /// </summary>
    /// <exception cref="AuditLogException">The writer has stopped on a corrupt chain (MCPS-023).</exception>
    public ValueTask<AuditAppendResult> AppendAsync(Receipt receipt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        return Enqueue(receipt.ToCanonicalJson(), cancellationToken);
    }

    /// <summary>
    /// Appends any JSON object as the record's receipt (for example a Signet <c>policy_violation</c> or a receipt with
    /// encrypted params), canonicalised under the Signet number rule; returns once it is durable.
    /// </summary>
    /// <exception cref="ArgumentException">The text is not a JSON object JCS can represent.</exception>
    public ValueTask<AuditAppendResult> AppendAsync(ReadOnlyMemory<byte> receiptJson, CancellationToken cancellationToken = default)
    {
        if (!JsonCanonicalizer.TryCanonicalize(receiptJson.Span, CanonicalJsonOptions.Signet, out var canonical, out var error))
        {
            throw new ArgumentException($"The record cannot be canonicalised: {error!.Reason}.", nameof(receiptJson));
        }

        if (canonical.Length == 0 || canonical[0] != (byte)'{')
        {
            throw new ArgumentException("A record's receipt is a JSON object.", nameof(receiptJson));
        }

        return Enqueue(canonical, cancellationToken);
    }

    /// <summary>
    /// Signs a checkpoint of the current head (receipts.md §7.6) with <paramref name="authorityKey"/> and stores it in
    /// <c>anchors/</c> beside the log as <see cref="AuditAnchor.CheckpointFileName"/> (an authority's anchor of the same
    /// head keeps its own file).
    /// </summary>
    public async Task<AuditAnchor> CheckpointAsync(SigningKey authorityKey, string authorityName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(authorityKey);
        await _stateGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfFaulted();
            using (await AuditDirectoryLock.AcquireAsync(_options.Directory, cancellationToken).ConfigureAwait(false))
            {
                SyncOrFault();
            }

            var head = _tail.Head;
            if (head.LogId is null)
            {
                throw new InvalidOperationException("An empty log has no head to checkpoint.");
            }

            var anchor = AuditAnchor.Create(head, authorityKey, authorityName, _options.Time);
            await anchor.WriteAsync(_options.Directory, AuditAnchor.CheckpointFileName(anchor.RecordCount), cancellationToken).ConfigureAwait(false);
            return anchor;
        }
        finally
        {
            _stateGate.Release();
        }
    }

    /// <summary>
    /// Reads the records other writers (processes sharing the directory) appended since, makes them durable (fsync of the
    /// newest file, in case a writer died before its own), and returns the head; automatic anchoring sees it too. For a
    /// process that watches a log others write.
    /// </summary>
    /// <exception cref="AuditLogException">The chain on disk is corrupt or was cut (MCPS-023).</exception>
    public async Task<AuditHead> RefreshAsync(CancellationToken cancellationToken = default)
    {
        await _stateGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfFaulted();
            using (await AuditDirectoryLock.AcquireAsync(_options.Directory, cancellationToken).ConfigureAwait(false))
            {
                SyncOrFault();
                if (_tail.CurrentFile is { } file && _tail.Head.RecordCount > _head.RecordCount)
                {
                    using var handle = File.OpenHandle(file, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
                    RandomAccess.FlushToDisk(handle);
                }
            }

            _head = _tail.Head;
            _anchorer?.Advanced(_head);
            return _head;
        }
        finally
        {
            _stateGate.Release();
        }
    }

    /// <summary>Completes pending appends, anchors the final head when anchoring is on, and closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        finally
        {
            try
            {
                if (_anchorer is not null)
                {
                    await _anchorer.DisposeAsync().ConfigureAwait(false);
                }
            }
            finally
            {
                // Whatever failed above, the file handle and the gate are released.
                _handle?.Dispose();
                _stateGate.Dispose();
            }
        }
    }

    private ValueTask<AuditAppendResult> Enqueue(byte[] canonical, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfFaulted();
        var pending = new PendingAppend(canonical);
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(AuditLog));
        }

        return new ValueTask<AuditAppendResult>(pending.Completion.Task);
    }

    private void ThrowIfFaulted()
    {
        if (_fault is { } fault)
        {
            throw new AuditLogException(fault.Code, "writer_stopped", "The audit writer stopped: " + fault.Message);
        }
    }

    private async Task RunAsync()
    {
        var batch = new List<PendingAppend>();
        var buffer = new ArrayBufferWriter<byte>(1 << 16);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < _options.MaxBatch && _queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            try
            {
                var results = await WriteBatchAsync(batch, buffer).ConfigureAwait(false);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Completion.TrySetResult(results[i]);
                }
            }
            catch (Exception e)
            {
                foreach (var pending in batch)
                {
                    pending.Completion.TrySetException(e);
                }
            }
        }
    }

    private async Task<AuditAppendResult[]> WriteBatchAsync(List<PendingAppend> batch, ArrayBufferWriter<byte> buffer)
    {
        await _stateGate.WaitAsync().ConfigureAwait(false);
        try
        {
            ThrowIfFaulted();
            using var directoryLock = await AuditDirectoryLock.AcquireAsync(_options.Directory, CancellationToken.None).ConfigureAwait(false);
            SyncOrFault();
            var file = ChooseFile();
            var offset = file == _tail.CurrentFile ? _tail.CurrentLength : 0;
            var head = _tail.Head;
            var prev = head.RecordHash;
            var count = head.RecordCount;
            var logId = head.LogId;
            var results = new AuditAppendResult[batch.Count];
            buffer.ResetWrittenCount();
            for (var i = 0; i < batch.Count; i++)
            {
                var recordHash = AuditRecordFormat.ComputeRecordHash(prev, batch[i].Canonical);
                AuditRecordFormat.WriteLine(buffer, batch[i].Canonical, prev, recordHash);
                results[i] = new AuditAppendResult(++count, prev, recordHash, file);
                logId ??= recordHash;
                prev = recordHash;
            }

            try
            {
                var handle = HandleFor(file);
                RandomAccess.Write(handle, buffer.WrittenSpan, offset);
                RandomAccess.FlushToDisk(handle);
            }
            catch
            {
                // The file may now hold part of the batch: forget the cached tail so the next writer re-reads and repairs it.
                _tail.Invalidate();
                throw;
            }

            _tail.Advanced(file, offset + buffer.WrittenCount, new AuditHead(logId, count, prev));
            _head = _tail.Head;
            _anchorer?.Advanced(_head);
            return results;
        }
        finally
        {
            _stateGate.Release();
        }
    }

    private void SyncOrFault()
    {
        try
        {
            _tail.Resync();
        }
        catch (AuditLogException e)
        {
            _fault = e;
            throw;
        }
    }

    private string ChooseFile()
    {
        var name = _options.Time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + ".jsonl";
        var path = Path.Combine(_options.Directory, name);

        // Files must sort in append order: if the clock went back, keep appending to the newest file.
        return _tail.CurrentFile is { } current && string.CompareOrdinal(Path.GetFileName(current), name) > 0 ? current : path;
    }

    private SafeFileHandle HandleFor(string file)
    {
        if (_handle is not null && _handleFile == file && !_handle.IsClosed)
        {
            return _handle;
        }

        _handle?.Dispose();
        _handle = null;
        var handle = File.OpenHandle(file, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        if (RandomAccess.GetLength(handle) == 0)
        {
            // A new (or still empty) daily file: its name must survive a power failure before any record in it is
            // acknowledged. An empty file has never had a record acknowledged, so a failed earlier sync is retried here.
            try
            {
                AuditDirectorySync.Flush(_options.Directory);
            }
            catch
            {
                handle.Dispose();
                throw;
            }

            DirectorySyncs++;
        }

        _handle = handle;
        _handleFile = file;
        return _handle;
    }

    private sealed class PendingAppend(byte[] canonical)
    {
        public byte[] Canonical { get; } = canonical;

        public TaskCompletionSource<AuditAppendResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
