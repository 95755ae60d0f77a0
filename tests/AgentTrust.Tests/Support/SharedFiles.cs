namespace AgentTrust.Tests.Support;

/// <summary>
/// Locates the read-only shared material (specs, vectors, interop, fixtures) that sits beside the repository
/// as <c>../shared</c>: walks up from the test binaries until a folder holding <c>shared/specs/PRODUCT.md</c>.
/// </summary>
internal static class SharedFiles
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>The absolute path of the shared folder.</summary>
    public static string Root => RootPath.Value;

    /// <summary>The absolute path of a file or folder under shared/, e.g. <c>Path("vectors", "jcs", "rfc8785_examples.json")</c>.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>Reads a shared file as text.</summary>
    public static string ReadText(params string[] parts) => File.ReadAllText(Path(parts));

    /// <summary>Reads a shared file as bytes.</summary>
    public static byte[] ReadBytes(params string[] parts) => File.ReadAllBytes(Path(parts));

    private static string FindRoot()
    {
        var configured = Environment.GetEnvironmentVariable("AGENTTRUST_SHARED");
        if (!string.IsNullOrEmpty(configured))
        {
            return System.IO.Path.GetFullPath(configured);
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared");
            if (File.Exists(System.IO.Path.Combine(candidate, "specs", "PRODUCT.md")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("The shared folder (../shared beside the repository) was not found; set AGENTTRUST_SHARED.");
    }
}
