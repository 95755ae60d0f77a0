using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace AgentTrust.Tests.Support;

/// <summary>
/// A throw-away PostgreSQL server: <c>initdb</c> into a fresh temporary directory, <c>postgres</c> on a free
/// loopback port with its unix socket inside that directory, stopped and deleted on dispose. Runs the server as the
/// unprivileged user <c>agenttrust-pg</c> when this process is root (initdb refuses root). Shared by the test
/// fixture (<see cref="PostgresServer"/>) and the benchmarks, so it has no xunit dependency.
/// </summary>
internal sealed class TemporaryPostgresServer : IAsyncDisposable
{
    public const string ServiceUser = "agenttrust-pg";
    public const string SuperUser = "agenttrust";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(90);

    private readonly string _root;
    private readonly string _binDirectory;
    private readonly bool _asServiceUser;
    private int _databases;

    private TemporaryPostgresServer(string root, string binDirectory, bool asServiceUser, int port)
    {
        _root = root;
        _binDirectory = binDirectory;
        _asServiceUser = asServiceUser;
        Port = port;
    }

    public int Port { get; }

    public string DataDirectory => Path.Combine(_root, "data");

    /// <summary>A connection string for <paramref name="database"/> on this server (TCP on 127.0.0.1, trust auth).</summary>
    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = SuperUser,
        Database = database,
        Pooling = true,
        MaxPoolSize = 50,
        Timeout = 15,
        CommandTimeout = 30,
    }.ConnectionString;

    public static async Task<TemporaryPostgresServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var binDirectory = FindBinDirectory(Environment.GetEnvironmentVariable("PATH"), "/usr/lib/postgresql");
        var asServiceUser = Environment.IsPrivilegedProcess;
        if (asServiceUser)
        {
            var (code, output) = await RunAsync("id", ["-u", ServiceUser], null, cancellationToken);
            if (code != 0)
            {
                throw new InvalidOperationException(
                    $"PostgreSQL cannot run as root and the user '{ServiceUser}' does not exist: run 'bash scripts/setup.sh' as root. ({output.Trim()})");
            }
        }

        var root = Directory.CreateTempSubdirectory("agenttrust-pg-").FullName;
        try
        {
            if (asServiceUser)
            {
                await RunCheckedAsync("chown", [ServiceUser, root], null, cancellationToken);
            }

            var data = Path.Combine(root, "data");
            await RunPostgresToolAsync(binDirectory, asServiceUser, root, "initdb",
                ["-D", data, "-U", SuperUser, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"], cancellationToken);

            // A port can be taken between probing and binding: retry on another one.
            for (var attempt = 1; ; attempt++)
            {
                var port = FreeLoopbackPort();
                var server = new TemporaryPostgresServer(root, binDirectory, asServiceUser, port);
                try
                {
                    await server.StartServerAsync(cancellationToken);
                    return server;
                }
                catch (InvalidOperationException) when (attempt < 3)
                {
                }
            }
        }
        catch
        {
            DeleteDirectory(root);
            throw;
        }
    }

    /// <summary>Creates an empty database with a unique name starting with <paramref name="prefix"/>; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var name = $"{SafeName(prefix)}_{Interlocked.Increment(ref _databases)}";
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
#pragma warning disable CA2100 // The name is built from ASCII letters, digits and underscores only.
        command.CommandText = $"CREATE DATABASE \"{name}\"";
#pragma warning restore CA2100
        await command.ExecuteNonQueryAsync(cancellationToken);
        return ConnectionString(name);
    }

    /// <summary>
    /// Creates an empty schema in the database of <paramref name="databaseConnectionString"/> and returns a connection
    /// string whose search path is that schema: a cheap fresh "database" for one test.
    /// </summary>
    public async Task<string> CreateSchemaAsync(string databaseConnectionString, string prefix, CancellationToken cancellationToken = default)
    {
        var name = $"{SafeName(prefix)}_{Interlocked.Increment(ref _databases)}";
        await using (var connection = new NpgsqlConnection(databaseConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
#pragma warning disable CA2100 // The name is built from ASCII letters, digits and underscores only.
            command.CommandText = $"CREATE SCHEMA \"{name}\"";
#pragma warning restore CA2100
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return new NpgsqlConnectionStringBuilder(databaseConnectionString) { SearchPath = name }.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await RunPostgresToolAsync(_binDirectory, _asServiceUser, _root, "pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            // Already stopped: nothing to do but delete the directory.
        }

        DeleteDirectory(_root);
    }

    private async Task StartServerAsync(CancellationToken cancellationToken)
    {
        // Test-server settings only: fsync, synchronous_commit and full_page_writes off make start-up and writes
        // fast and would lose data on a crash, which a throw-away server does not care about.
        var settings = string.Join(' ',
            "-c listen_addresses=127.0.0.1",
            $"-c port={Port.ToString(CultureInfo.InvariantCulture)}",
            $"-c unix_socket_directories={_root}",
            "-c fsync=off",
            "-c synchronous_commit=off",
            "-c full_page_writes=off",
            "-c max_connections=200",
            "-c shared_buffers=32MB",
            "-c log_min_messages=warning");
        var log = Path.Combine(_root, "postgres.log");
        try
        {
            await RunPostgresToolAsync(_binDirectory, _asServiceUser, _root, "pg_ctl",
                ["-D", DataDirectory, "-l", log, "-o", settings, "-w", "-t", "60", "start"], cancellationToken);
        }
        catch (InvalidOperationException exception)
        {
            var tail = File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(15)) : "(no log)";
            throw new InvalidOperationException($"{exception.Message}\n--- postgres.log ---\n{tail}", exception);
        }
    }

    private static string SafeName(string prefix)
    {
        var safe = new StringBuilder();
        foreach (var c in prefix.ToLowerInvariant())
        {
            safe.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }

        return safe.ToString()[..Math.Min(safe.Length, 40)];
    }

    /// <summary>
    /// The directory holding initdb and pg_ctl: the first on <paramref name="searchPath"/>, else the newest
    /// <c><paramref name="installedRoot"/>/*/bin</c>. Throws with instructions when there is none, so tests fail
    /// (never skip) on a machine without PostgreSQL.
    /// </summary>
    internal static string FindBinDirectory(string? searchPath, string installedRoot)
    {
        foreach (var directory in (searchPath ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(directory, "initdb")) && File.Exists(Path.Combine(directory, "pg_ctl")))
            {
                return directory;
            }
        }

        if (Directory.Exists(installedRoot))
        {
            var newest = Directory.GetDirectories(installedRoot)
                .Select(d => (Directory: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0))
                .Where(d => File.Exists(Path.Combine(d.Directory, "initdb")) && File.Exists(Path.Combine(d.Directory, "pg_ctl")))
                .OrderByDescending(d => d.Version)
                .FirstOrDefault();
            if (newest.Directory is not null)
            {
                return newest.Directory;
            }
        }

        throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found on PATH or under /usr/lib/postgresql/*/bin. " +
            "The PostgreSQL tests need a real server: run 'bash scripts/setup.sh' (installs the 'postgresql' package).");
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Task RunPostgresToolAsync(string binDirectory, bool asServiceUser, string workingDirectory, string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var executable = Path.Combine(binDirectory, tool);
        return asServiceUser
            ? RunCheckedAsync("runuser", ["-u", ServiceUser, "--", executable, .. arguments], workingDirectory, cancellationToken)
            : RunCheckedAsync(executable, arguments, workingDirectory, cancellationToken);
    }

    private static async Task RunCheckedAsync(string fileName, IReadOnlyList<string> arguments, string? workingDirectory, CancellationToken cancellationToken)
    {
        var (code, output) = await RunAsync(fileName, arguments, workingDirectory, cancellationToken);
        if (code != 0)
        {
            throw new InvalidOperationException($"'{fileName} {string.Join(' ', arguments)}' exited with {code}:\n{output}");
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string fileName, IReadOnlyList<string> arguments, string? workingDirectory, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start '{fileName}'");
        process.StandardInput.Close();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CommandTimeout);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    private static void DeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
