using System.Diagnostics;

namespace AgentTrust.Tests.Gateway.Support;

/// <summary>
/// Locates the real MCP peers used by the gateway tests (npm packages installed by scripts/setup.sh into
/// tests/AgentTrust.Tests/Gateway/node) and the gateway itself (the agenttrust CLI built beside the tests).
/// </summary>
internal static class GatewayPeers
{
    private static readonly Lazy<string> NodeDirectory = new(FindNodeDirectory);

    /// <summary>The folder holding package.json, the .mjs peers and node_modules.</summary>
    public static string NodeDir => NodeDirectory.Value;

    public static string ServerEverything => Path.Combine(NodeDir, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");

    public static string RecordingServer => Path.Combine(NodeDir, "recording-server.mjs");

    public static string TypeScriptClient => Path.Combine(NodeDir, "ts-client.mjs");

    /// <summary>The gateway CLI assembly, run with <c>dotnet</c>.</summary>
    public static string AgentTrustDll => Path.Combine(AppContext.BaseDirectory, "agenttrust.dll");

    /// <summary>The command line of <c>agenttrust proxy [gatewayArgs] -- serverCommand</c>, as (file, arguments).</summary>
    public static (string Command, string[] Arguments) Proxy(IEnumerable<string> gatewayArgs, params string[] serverCommand) =>
        ("dotnet", [AgentTrustDll, "proxy", .. gatewayArgs, "--", .. serverCommand]);

    static GatewayPeers()
    {
        // The run's home holds the default nonce tables (116 MB each, allocated on disk): gone with the test run.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(TestRunHome, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Left for the system's temp cleaning.
            }
        };
    }

    /// <summary>The AGENTTRUST_HOME of every process a test starts without its own (deleted when the test run ends).</summary>
    public static string TestRunHome { get; } = Path.Combine(Path.GetTempPath(), "agenttrust-tests-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Starts a process with all three standard streams redirected.</summary>
    public static Process Start(string command, IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(command)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Never the user's ~/.agenttrust: keys, the default replay store and pins of test processes live in a home of
        // this test run (shared by its processes, as one machine's gateways share theirs), unless a test gives its own.
        start.Environment["AGENTTRUST_HOME"] = TestRunHome;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"could not start {command}");
    }

    private static string FindNodeDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "AgentTrust.Tests", "Gateway", "node");
            if (File.Exists(Path.Combine(candidate, "package.json")))
            {
                if (!Directory.Exists(Path.Combine(candidate, "node_modules", "@modelcontextprotocol", "sdk")))
                {
                    throw new InvalidOperationException($"the MCP peers are not installed: run scripts/setup.sh (npm ci in {candidate})");
                }

                return candidate;
            }
        }

        throw new InvalidOperationException("tests/AgentTrust.Tests/Gateway/node was not found above the test binaries");
    }
}
