using System.Text.Json.Nodes;

namespace AgentTrust.Cli.Commands;

/// <summary>
/// The log id last anchored at a Trust Authority for each audit log directory, kept in
/// <c>AGENTTRUST_HOME/anchored-logs.json</c> (next to the pinned authorities, out of reach of whoever can edit the log).
/// <c>audit verify --authority</c> asks the authority about this id by default, so a log rewritten from its first record
/// (a new log id) is caught without the user remembering the old one.
/// </summary>
internal static class AnchoredLogIds
{
    private const string FileName = "anchored-logs.json";

    /// <summary>The log id recorded for <paramref name="directory"/>, or null.</summary>
    public static string? Find(CliContext context, string directory) =>
        HomeJsonFile.Read(PathIn(context))[Key(directory)] is JsonValue value && value.TryGetValue(out string? logId) ? logId : null;

    /// <summary>Records that <paramref name="logId"/> was anchored for <paramref name="directory"/>.</summary>
    public static void Record(CliContext context, string directory, string logId)
    {
        var key = Key(directory);
        HomeJsonFile.Update(PathIn(context), content => content[key] = logId);
    }

    private static string PathIn(CliContext context) => Path.Combine(context.HomeDirectory, FileName);

    private static string Key(string directory) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
}
