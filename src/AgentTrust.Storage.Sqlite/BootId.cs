namespace AgentTrust.Storage.Sqlite;

/// <summary>The machine's boot id: an identifier the kernel draws anew on every boot.</summary>
internal static class BootId
{
    private const string LinuxPath = "/proc/sys/kernel/random/boot_id";

    /// <summary>The current boot id, or null where the platform has none (or it cannot be read).</summary>
    public static string? Read()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            var id = File.ReadAllText(LinuxPath).Trim();
            return id.Length is > 0 and <= 128 ? id : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
