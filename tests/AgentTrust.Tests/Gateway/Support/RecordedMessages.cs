using System.Text.Json.Nodes;

namespace AgentTrust.Tests.Gateway.Support;

/// <summary>Reads the log in which recording-server.mjs writes every message it received.</summary>
internal static class RecordedMessages
{
    public static IReadOnlyList<JsonObject> Read(string path) =>
        !System.IO.File.Exists(path)
            ? []
            : [.. System.IO.File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => (JsonObject)JsonNode.Parse(l)!)];

    public static IReadOnlyList<string> Methods(string path) =>
        [.. Read(path).Select(m => m["method"]?.GetValue<string>() ?? "(answer)")];

    /// <summary>Names of the tools the server was asked to call.</summary>
    public static IReadOnlyList<string> ToolCalls(string path) =>
        [.. Read(path).Where(m => m["method"]?.GetValue<string>() == "tools/call").Select(m => m["params"]!["name"]!.GetValue<string>())];
}
