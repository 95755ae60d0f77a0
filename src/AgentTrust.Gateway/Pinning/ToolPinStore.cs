using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Gateway.Messages;

namespace AgentTrust.Gateway.Pinning;

/// <summary>
/// Tool pins keyed by (server identity, tool name) (mcps.md §10.3), in memory and optionally in a JSON file so that a
/// definition that changes between two runs is caught. A pin is only ever added, never replaced by what the server
/// sends: only <see cref="Approve"/> (an explicit operator decision) replaces one.
/// </summary>
public sealed class ToolPinStore
{
    private readonly object _gate = new();
    private readonly string? _path;
    private readonly Dictionary<string, Dictionary<string, ToolPin>> _servers = new(StringComparer.Ordinal);

    private ToolPinStore(string? path) => _path = path;

    /// <summary>A store that lives only as long as the process.</summary>
    public static ToolPinStore InMemory() => new(null);

    /// <summary>Opens (or starts) the pin file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file exists and is not a pin file.</exception>
    public static ToolPinStore Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var store = new ToolPinStore(Path.GetFullPath(path));
        if (File.Exists(store._path))
        {
            store.Load(File.ReadAllBytes(store._path));
        }

        return store;
    }

    /// <summary>The pin of a tool, or null.</summary>
    public ToolPin? Find(string server, string tool)
    {
        lock (_gate)
        {
            return _servers.TryGetValue(server, out var tools) && tools.TryGetValue(tool, out var pin) ? pin : null;
        }
    }

    /// <summary>Adds a pin when none exists; returns the pin in force (the existing one if there was one).</summary>
    public ToolPin AddIfAbsent(string server, string tool, ToolPin pin)
    {
        ArgumentNullException.ThrowIfNull(pin);
        lock (_gate)
        {
            if (!_servers.TryGetValue(server, out var tools))
            {
                tools = new Dictionary<string, ToolPin>(StringComparer.Ordinal);
                _servers[server] = tools;
            }

            if (tools.TryGetValue(tool, out var existing))
            {
                return existing;
            }

            tools[tool] = pin;
            Save();
            return pin;
        }
    }

    /// <summary>Replaces a pin: the operator approved a changed definition.</summary>
    public void Approve(string server, string tool, ToolPin pin)
    {
        ArgumentNullException.ThrowIfNull(pin);
        lock (_gate)
        {
            if (!_servers.TryGetValue(server, out var tools))
            {
                tools = new Dictionary<string, ToolPin>(StringComparer.Ordinal);
                _servers[server] = tools;
            }

            tools[tool] = pin;
            Save();
        }
    }

    private void Load(byte[] bytes)
    {
        try
        {
            if (JsonNode.Parse(bytes, null, new JsonDocumentOptions { AllowDuplicateProperties = false }) is not JsonObject root
                || root["servers"] is not JsonObject servers)
            {
                throw new InvalidDataException("not a tool pin file");
            }

            foreach (var (server, toolsNode) in servers)
            {
                var tools = new Dictionary<string, ToolPin>(StringComparer.Ordinal);
                foreach (var (name, pinNode) in toolsNode as JsonObject ?? throw new InvalidDataException("not a tool pin file"))
                {
                    if (pinNode is not JsonObject pin || pin["tool_hash"] is not JsonValue hash || pin["definition"] is not JsonObject definition
                        || pin["pinned_at"] is not JsonValue at)
                    {
                        throw new InvalidDataException($"tool pin '{name}' is malformed");
                    }

                    tools[name] = new ToolPin(hash.GetValue<string>(), (JsonObject)definition.DeepClone(),
                        DateTimeOffset.Parse(at.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind));
                }

                _servers[server] = tools;
            }
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException("not a tool pin file", e);
        }
    }

    private void Save()
    {
        if (_path is null)
        {
            return;
        }

        var servers = new JsonObject();
        foreach (var (server, tools) in _servers.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            var entries = new JsonObject();
            foreach (var (name, pin) in tools.OrderBy(t => t.Key, StringComparer.Ordinal))
            {
                entries[name] = new JsonObject
                {
                    ["tool_hash"] = pin.ToolHash,
                    ["pinned_at"] = pin.PinnedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                    ["definition"] = pin.Definition.DeepClone(),
                };
            }

            servers[server] = entries;
        }

        var root = new JsonObject { ["version"] = 1, ["servers"] = servers };
        var directory = Path.GetDirectoryName(_path)!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(_path)}.{Environment.ProcessId}.tmp");
        File.WriteAllBytes(temporary, JsonWire.Serialize(root));
        File.Move(temporary, _path, overwrite: true);
    }
}
