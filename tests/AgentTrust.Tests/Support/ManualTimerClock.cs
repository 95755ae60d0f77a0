namespace AgentTrust.Tests.Support;

/// <summary>
/// A <see cref="TimeProvider"/> whose clock and timers only move when a test calls <see cref="Advance"/>: timers (and so
/// <c>Task.Delay(…, provider)</c>) fire in due order during the call, on the calling thread.
/// </summary>
internal sealed class ManualTimerClock(DateTimeOffset start) : TimeProvider
{
    private readonly object _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private readonly List<TaskCompletionSource> _oneShotWaiters = [];
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Completes once a one-shot timer (a delay, not a periodic timer) is pending.</summary>
    public Task WaitForOneShotTimerAsync()
    {
        lock (_gate)
        {
            if (_timers.Any(t => t.Due is not null && t.Period == Timeout.InfiniteTimeSpan))
            {
                return Task.CompletedTask;
            }

            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _oneShotWaiters.Add(waiter);
            return waiter.Task;
        }
    }

    public void Advance(TimeSpan by)
    {
        DateTimeOffset target;
        lock (_gate)
        {
            target = _now + by;
        }

        while (true)
        {
            ManualTimer? next;
            lock (_gate)
            {
                next = _timers.Where(t => t.Due is { } due && due <= target).MinBy(t => t.Due);
                if (next is null)
                {
                    _now = target;
                    return;
                }

                _now = next.Due!.Value;
                next.Due = next.Period == Timeout.InfiniteTimeSpan || next.Period == TimeSpan.Zero ? null : _now + next.Period;
            }

            next.Fire();
        }
    }

    private void Schedule(ManualTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        List<TaskCompletionSource> release = [];
        lock (_gate)
        {
            timer.Period = period;
            timer.Due = dueTime == Timeout.InfiniteTimeSpan ? null : _now + dueTime;
            if (!_timers.Contains(timer))
            {
                _timers.Add(timer);
            }

            if (timer.Due is not null && period == Timeout.InfiniteTimeSpan)
            {
                release.AddRange(_oneShotWaiters);
                _oneShotWaiters.Clear();
            }
        }

        release.ForEach(w => w.TrySetResult());
    }

    private void Remove(ManualTimer timer)
    {
        lock (_gate)
        {
            _timers.Remove(timer);
        }
    }

    private sealed class ManualTimer(ManualTimerClock clock, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset? Due { get; set; }

        public TimeSpan Period { get; set; }

        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            clock.Schedule(this, dueTime, period);
            return true;
        }

        public void Dispose() => clock.Remove(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
