namespace AgentTrust.Mcps.Tools;

/// <summary>An in-process <see cref="IToolPinStore"/>.</summary>
public sealed class InMemoryToolPinStore : IToolPinStore
{
    private readonly object _gate = new();
    private readonly Dictionary<(string, string), ToolPin> _pins = [];

    /// <inheritdoc />
    public ValueTask<IReadOnlyDictionary<string, ToolPin>> GetAsync(string serverId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyDictionary<string, ToolPin> result = _pins.Values.Where(p => p.ServerId == serverId).ToDictionary(p => p.ToolName, StringComparer.Ordinal);
            return ValueTask.FromResult(result);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> TryAddAsync(ToolPin pin, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pin);
        lock (_gate)
        {
            return ValueTask.FromResult(_pins.TryAdd((pin.ServerId, pin.ToolName), pin));
        }
    }

    /// <inheritdoc />
    public ValueTask ApproveAsync(ToolPin pin, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pin);
        lock (_gate)
        {
            _pins[(pin.ServerId, pin.ToolName)] = pin;
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<bool> RemoveAsync(string serverId, string toolName, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_pins.Remove((serverId, toolName)));
        }
    }
}
