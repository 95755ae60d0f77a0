using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Gateway.Messages;

namespace AgentTrust.Gateway.Pinning;

/// <summary>
/// The definitions the pins were taken from, kept beside the pin file (<c>&lt;pins&gt;.definitions.json</c>) only to
/// say which members of a tool changed. Pins (hashes) and decisions live in the mcps pin store; this archive never
/// decides anything, and a missing or unreadable archive only makes the explanation shorter.
/// </summary>
internal sealed class ToolDefinitionArchive
{
    private readonly object _gate = new();
    private readonly string? _path;
    private const long MaxFileBytes = 64 * 1024 * 1024;
    private JsonObject _servers;

    private ToolDefinitionArchive(string? path)
    {
        _path = path;
        _servers = ReadFile() ?? [];
    }

    // An unreadable archive only loses explanations, never pins.
    private JsonObject? ReadFile()
    {
        if (_path is null || !File.Exists(_path) || new FileInfo(_path).Length > MaxFileBytes)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(File.ReadAllBytes(_path)) is JsonObject root && root["servers"] is JsonObject servers ? (JsonObject)servers.DeepClone() : null;
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null;
        }
    }

    public static ToolDefinitionArchive InMemory() => new(null);

    public static ToolDefinitionArchive ForPinFile(string pinFile) => new(pinFile + ".definitions.json");

    public JsonObject? Find(string server, string tool)
    {
        lock (_gate)
        {
            if (_servers[server]?[tool] is not JsonObject && ReadFile() is { } onDisk)
            {
                // Pinned by another process sharing the pin file since this archive was read.
                _servers = onDisk;
            }

            return _servers[server]?[tool] is JsonObject definition ? (JsonObject)definition.DeepClone() : null;
        }
    }

    public void Record(string server, string tool, JsonObject covered)
    {
        lock (_gate)
        {
            // Start from the file: another process sharing the pin file may have added definitions since.
            _servers = ReadFile() ?? _servers;
            if (_servers[server] is not JsonObject tools)
            {
                tools = [];
                _servers[server] = tools;
            }

            tools[tool] = covered.DeepClone();
            if (_path is not null)
            {
                var temporary = $"{_path}.{Environment.ProcessId}.tmp";
                File.WriteAllBytes(temporary, JsonWire.Serialize(new JsonObject { ["version"] = 1, ["servers"] = _servers.DeepClone() }));
                File.Move(temporary, _path, overwrite: true);
            }
        }
    }
}
