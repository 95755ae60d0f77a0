using System.Text.Json.Nodes;
using System.Threading.Channels;
using AgentTrust.Cryptography;
using AgentTrust.Errors;
using AgentTrust.TrustAuthority;

namespace AgentTrust.Audit;

/// <summary>
/// Deposits an audit log's durable head at a Trust Authority in the background (receipts.md §7.6). Appends only publish
/// their head (<see cref="Advanced"/>: a field write and at most one non-blocking signal); one task does the anchoring,
/// one attempt at a time, always with the latest durable head (heads that arrive meanwhile are coalesced). A failed
/// attempt is retried with doubling delays; an answer that does not verify (signer, log id, count, hash) is never stored;
/// a refusal (the authority holds a higher or different head, or binds the log to another key) stops anchoring and is
/// reported in the status once the authority's signed record confirms it; an unconfirmed one is retried.
/// </summary>
internal sealed class AuditAnchorer : IAsyncDisposable
{
    private readonly AuditAnchoringOptions _options;
    private readonly string _directory;
    private readonly TimeProvider _time;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly ITimer _timer;
    private readonly Task _loop;
    private volatile AuditHead _latest;
    private long _anchoredCount;
    private volatile AuditAnchoringStatus _status = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    private readonly Func<CancellationToken, Task<AuditHead>>? _refresh;

    /// <param name="options">The anchoring settings.</param>
    /// <param name="directory">The log directory (anchors go to its <c>anchors/</c>).</param>
    /// <param name="head">The durable head at open.</param>
    /// <param name="time">The clock of the timer and the retry delays.</param>
    /// <param name="refresh">Reads the head other writers of the directory reached, when the authority says it holds a higher one.</param>
    public AuditAnchorer(AuditAnchoringOptions options, string directory, AuditHead head, TimeProvider time, Func<CancellationToken, Task<AuditHead>>? refresh = null)
    {
        _refresh = refresh;
        ArgumentNullException.ThrowIfNull(options.Authority);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.EveryRecords, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.Interval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.MinRetryDelay, TimeSpan.Zero);
        _options = options;
        _directory = directory;
        _time = time;
        _latest = head;
        _timer = time.CreateTimer(static state => ((AuditAnchorer)state!).Wake(), this, options.Interval, options.Interval);
        _loop = Task.Run(RunAsync, CancellationToken.None);
    }

    /// <summary>The current status.</summary>
    public AuditAnchoringStatus Status => _status with { DurableRecordCount = _latest.RecordCount };

    /// <summary>Publishes a new durable head; wakes the anchoring task once <see cref="AuditAnchoringOptions.EveryRecords"/> records are unanchored. Never blocks.</summary>
    public void Advanced(AuditHead head)
    {
        _latest = head;
        if (head.RecordCount - Volatile.Read(ref _anchoredCount) >= _options.EveryRecords)
        {
            Wake();
        }
    }

    /// <summary>Completes when the status satisfies <paramref name="predicate"/> (for tests and hosts that wait for an anchor).</summary>
    internal async Task<AuditAnchoringStatus> WaitForAsync(Func<AuditAnchoringStatus, bool> predicate, CancellationToken cancellationToken)
    {
        while (true)
        {
            var changed = Volatile.Read(ref _changed).Task;
            var status = Status;
            if (predicate(status))
            {
                return status;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops the background task and anchors the final head, within <see cref="AuditAnchoringOptions.ShutdownTimeout"/>.
    /// Idempotent: later calls return at once.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
            await _stop.CancelAsync().ConfigureAwait(false);
            await _loop.ConfigureAwait(false);
            using var deadline = new CancellationTokenSource(_options.ShutdownTimeout, _time);
            await AnchorLatestAsync(deadline.Token).ConfigureAwait(false);
        }
        finally
        {
            _stop.Dispose();
        }
    }

    private void Wake() => _wake.Writer.TryWrite(true);

    private async Task RunAsync()
    {
        while (true)
        {
            try
            {
                await _wake.Reader.ReadAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await AnchorLatestAsync(_stop.Token).ConfigureAwait(false);
        }
    }

    /// <summary>Anchors the latest head until it is stored, refused, or <paramref name="cancellationToken"/> fires.</summary>
    private async Task AnchorLatestAsync(CancellationToken cancellationToken)
    {
        var delay = _options.MinRetryDelay;
        while (!cancellationToken.IsCancellationRequested && !_status.Refused)
        {
            var head = _latest;
            if (head.LogId is null || head.RecordCount <= Volatile.Read(ref _anchoredCount))
            {
                return;
            }

            try
            {
                var outcome = await AttemptAsync(head, cancellationToken).ConfigureAwait(false);
                if (outcome == Outcome.Done)
                {
                    return;
                }

                if (outcome == Outcome.RetryNow)
                {
                    continue;
                }

                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // Anything unexpected in one attempt (re-reading the log, storing the anchor, a host's authority) is a failed
                // attempt: it is reported and retried, never allowed to end the anchoring task silently.
                Failed(McpsCode.InternalError, "anchor_attempt_failed");
                await DelayQuietlyAsync(delay, cancellationToken).ConfigureAwait(false);
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, Math.Max(_options.MaxRetryDelay.Ticks, _options.MinRetryDelay.Ticks)));
        }
    }

    private async Task DelayQuietlyAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The loop condition sees the cancellation.
        }
    }

    private enum Outcome
    {
        Done,
        RetryLater,
        RetryNow,
    }

    /// <summary>One attempt: done (stored or refused), or retry.</summary>
    private async Task<Outcome> AttemptAsync(AuditHead head, CancellationToken cancellationToken)
    {
        AuthorityResult<JsonObject> answer;
        VerificationKey? key;
        try
        {
            answer = await _options.Authority.AnchorAsync(head, cancellationToken).ConfigureAwait(false);
            key = _options.AnchorKey ?? (answer.IsSuccess ? await _options.Authority.GetAnchorKeyAsync(cancellationToken).ConfigureAwait(false) : null);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The authority's implementation failed (its own bug, or a transport error it did not map): retry later.
            return Failed(McpsCode.AuthorityUnreachable, "status_unavailable");
        }

        if (!answer.IsSuccess)
        {
            if (answer.HttpStatus == 409 && answer.Reason == "stale_checkpoint" && await OtherWritersWentFurtherAsync(head, cancellationToken).ConfigureAwait(false))
            {
                // Another writer of this directory anchored a head this one had not read yet: anchor the newer head.
                return Outcome.RetryNow;
            }

            if (answer.HttpStatus is 403 or 409)
            {
                // An error body is unsigned: anything on the path can forge one. Stop only when the authority's signed
                // record confirms it; otherwise this is a failure like any other, retried with backoff.
                var held = await HeldAnchorAsync(head, cancellationToken).ConfigureAwait(false);
                if (answer.Reason == "wrong_submitter")
                {
                    // Confirmed when the authority holds this log although this anchorer never deposited it successfully
                    // (after a success the log is bound to this key, so the claim must be forged).
                    if (held is not null && Volatile.Read(ref _anchoredCount) == 0)
                    {
                        Publish(_status with { Refused = true, ClaimedByAnotherKey = true, LastFailureCode = answer.Code, LastFailureReason = answer.Reason, ConsecutiveFailures = _status.ConsecutiveFailures + 1 });
                        return Outcome.Done;
                    }
                }
                else if (held is not null && (held.RecordCount > head.RecordCount || (held.RecordCount == head.RecordCount && held.RecordHash != head.RecordHash)))
                {
                    // The authority holds a higher or different head of this log: the local log is not the one it anchored.
                    // Retrying cannot help, and a later, higher head would hide the fork.
                    Publish(_status with { Refused = true, LastFailureCode = answer.Code, LastFailureReason = answer.Reason, ConsecutiveFailures = _status.ConsecutiveFailures + 1 });
                    return Outcome.Done;
                }

                return Failed(answer.Code ?? McpsCode.AuditChainBroken, "refusal_unconfirmed");
            }

            return Failed(answer.Code ?? McpsCode.AuthorityUnreachable, answer.Reason ?? "status_unavailable");
        }

        if (key is null)
        {
            return Failed(McpsCode.AuthorityUnreachable, "anchor_key_unknown");
        }

        var anchor = AuditAnchor.TryParse(System.Text.Encoding.UTF8.GetBytes(answer.Value!.ToJsonString()), out var reason);
        if (anchor is null)
        {
            return Failed(McpsCode.InvalidSignature, reason ?? "anchor_invalid");
        }

        if (!anchor.IsSignedByAny([key]))
        {
            return Failed(McpsCode.InvalidSignature, "anchor_untrusted");
        }

        if (anchor.LogId != head.LogId || anchor.RecordCount != head.RecordCount || anchor.RecordHash != head.RecordHash)
        {
            return Failed(McpsCode.AuditChainBroken, "anchor_mismatch");
        }

        string file;
        try
        {
            file = await anchor.WriteAsync(_directory, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Failed(McpsCode.InternalError, "anchor_write_failed");
        }

        Volatile.Write(ref _anchoredCount, anchor.RecordCount);
        Publish(_status with { AnchoredRecordCount = anchor.RecordCount, AnchorFile = file, ConsecutiveFailures = 0, LastFailureCode = null, LastFailureReason = null });
        return Outcome.Done;
    }

    /// <summary>The authority's anchor of this log, when it holds one signed by its anchor key; else null.</summary>
    private async Task<AuditAnchor?> HeldAnchorAsync(AuditHead head, CancellationToken cancellationToken)
    {
        var held = await _options.Authority.GetAnchorAsync(head.LogId!, cancellationToken).ConfigureAwait(false);
        if (!held.IsSuccess || held.Value is null)
        {
            return null;
        }

        var key = _options.AnchorKey ?? await _options.Authority.GetAnchorKeyAsync(cancellationToken).ConfigureAwait(false);
        var anchor = AuditAnchor.TryParse(System.Text.Encoding.UTF8.GetBytes(held.Value.ToJsonString()), out _);
        return key is not null && anchor is not null && anchor.IsSignedByAny([key]) && anchor.LogId == head.LogId ? anchor : null;
    }

    private async Task<bool> OtherWritersWentFurtherAsync(AuditHead head, CancellationToken cancellationToken)
    {
        if (_refresh is null)
        {
            return false;
        }

        try
        {
            return (await _refresh(cancellationToken).ConfigureAwait(false)).RecordCount > head.RecordCount;
        }
        catch (AuditLogException)
        {
            // The log cannot be re-read as a chain: nothing shows another writer went further. Other failures (I/O,
            // permissions) fail the attempt, which is reported and retried.
            return false;
        }
    }

    private Outcome Failed(McpsCode code, string reason)
    {
        Publish(_status with { ConsecutiveFailures = _status.ConsecutiveFailures + 1, LastFailureCode = code, LastFailureReason = reason });
        return Outcome.RetryLater;
    }

    private void Publish(AuditAnchoringStatus status)
    {
        _status = status;
        var snapshot = Status;
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        try
        {
            _options.StatusChanged?.Invoke(snapshot);
        }
        catch (Exception)
        {
            // A host's logging callback must not stop anchoring.
        }
    }
}
