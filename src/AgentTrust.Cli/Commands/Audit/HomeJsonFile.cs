using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentTrust.Cli.Commands;

/// <summary>
/// A small JSON object file in AGENTTRUST_HOME (pinned authorities, anchored log ids) that several processes may update
/// at once: each update re-reads the file under an exclusive lock file, changes it, writes a uniquely named temporary
/// file, flushes it to disk and renames it over the old one, so no update is lost and no reader sees half a file.
/// </summary>
internal static class HomeJsonFile
{
    /// <summary>The file's object, or an empty one when it does not exist.</summary>
    public static JsonObject Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return [];
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }

        try
        {
            return JsonNode.Parse(bytes) as JsonObject ?? throw CliFailure.Environment("AT-ENV-FILE", $"{path} is not a JSON object.");
        }
        catch (JsonException)
        {
            throw CliFailure.Environment("AT-ENV-FILE", $"{path} is not valid JSON.");
        }
    }

    /// <summary>Applies <paramref name="change"/> to the current content under the lock and writes the result atomically.</summary>
    public static void Update(string path, Action<JsonObject> change)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var held = AcquireLock(path + ".lock");
        var content = Read(path);
        change(content);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(System.Text.Encoding.UTF8.GetBytes(content.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static FileStream AcquireLock(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException) when (attempt < 2000)
            {
                // Another process is updating the file (a few milliseconds): wait for it.
                Thread.Sleep(5);
            }
        }
    }
}
