namespace AgentTrust.Replay;

/// <summary>
/// The machine's boot id: an identifier the kernel draws anew on every boot. Stores that do not flush every
/// registration to disk record it, so that the first open after a reboot knows registrations may have been lost and
/// sets a restart fence (<see cref="IReplayStore.RestartFence"/>).
/// </summary>
public static class MachineBootId
{
    private const string LinuxPath = "/proc/sys/kernel/random/boot_id";

    /// <summary>The current boot id, or null where the platform has none (or it cannot be read).</summary>
    /// <returns>The boot id (at most 128 characters), or null.</returns>
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
