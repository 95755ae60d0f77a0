using System.Diagnostics;
using AgentTrust.Cli;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Json;

/// <summary><c>agenttrust canon</c>: in-process through <see cref="CliApplication.RunAsync"/>, and a few runs of the built executable.</summary>
public sealed class CanonCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("agenttrust-canon-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Stdin_is_canonicalised_to_stdout_without_a_trailing_newline()
    {
        var result = await RunAsync(["canon"], "{ \"b\" : [1.0, 1E21, \"\\u00e9\\u2028\"], \"a\" : null }\n"u8.ToArray());

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("{\"a\":null,\"b\":[1,1e+21,\"é\u2028\"]}"u8.ToArray(), result.Stdout);
        Assert.Empty(result.Stderr);
    }

    [Fact]
    public async Task Dash_reads_stdin_and_a_file_argument_reads_the_file()
    {
        var path = Path.Combine(_directory, "doc.json");
        await File.WriteAllTextAsync(path, "{\"z\":1,\"a\":2}");

        Assert.Equal("{\"a\":2,\"z\":1}"u8.ToArray(), (await RunAsync(["canon", path], [])).Stdout);
        Assert.Equal("[1]"u8.ToArray(), (await RunAsync(["canon", "-"], "[1.0]"u8.ToArray())).Stdout);
    }

    [Fact]
    public async Task Cyberphone_files_are_byte_exact()
    {
        foreach (var input in Directory.EnumerateFiles(SharedFiles.Path("vectors", "jcs", "cyberphone", "input")))
        {
            var expected = SharedFiles.ReadBytes("vectors", "jcs", "cyberphone", "output", Path.GetFileName(input));
            var result = await RunAsync(["canon", input], []);
            Assert.Equal(0, result.ExitCode);
            Assert.Equal(expected, result.Stdout);
        }
    }

    [Theory]
    [InlineData("{\"a\":1,\"a\":2}", "MCPS-017", "duplicate_member", 7)]
    [InlineData("[\"\\ud800\"]", "MCPS-017", "lone_surrogate", 2)]
    [InlineData("[1e400]", "MCPS-017", "unsafe_number", 1)]
    [InlineData("[01]", "MCPS-017", "invalid_json", 2)]
    [InlineData("\"\xff\"", "MCPS-017", "invalid_utf8", 1)]
    public async Task Rejected_input_exits_1_with_one_stderr_line(string json, string code, string reason, int offset)
    {
        var bytes = json.Select(c => (byte)c).ToArray(); // Latin-1 so "\xff" stays one invalid byte
        var result = await RunAsync(["canon"], bytes);

        Assert.Equal(1, result.ExitCode);
        Assert.Empty(result.Stdout);
        var line = Assert.Single(result.StderrLines);
        Assert.StartsWith($"agenttrust: error {code} {reason}: ", line, StringComparison.Ordinal);
        Assert.EndsWith($" (at byte {offset})", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Strict_numbers_option_applies_the_strict_profile()
    {
        var plain = await RunAsync(["canon"], "[9007199254740993]"u8.ToArray());
        Assert.Equal(0, plain.ExitCode);
        Assert.Equal("[9007199254740992]"u8.ToArray(), plain.Stdout);

        var strict = await RunAsync(["canon", "--strict-numbers"], "[9007199254740993]"u8.ToArray());
        Assert.Equal(1, strict.ExitCode);
        Assert.StartsWith("agenttrust: error MCPS-017 unsafe_number: ", Assert.Single(strict.StderrLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Limits_are_options_and_report_MCPS_016()
    {
        var deep = await RunAsync(["canon", "--max-depth", "2"], "[[[1]]]"u8.ToArray());
        Assert.Equal(1, deep.ExitCode);
        Assert.StartsWith("agenttrust: error MCPS-016 too_deep: ", Assert.Single(deep.StderrLines), StringComparison.Ordinal);

        var large = await RunAsync(["canon", "--max-bytes", "4"], "[1,2]"u8.ToArray());
        Assert.Equal(1, large.ExitCode);
        Assert.StartsWith("agenttrust: error MCPS-016 too_large: ", Assert.Single(large.StderrLines), StringComparison.Ordinal);

        var path = Path.Combine(_directory, "large.json");
        await File.WriteAllTextAsync(path, "[1,2]");
        Assert.Equal(1, (await RunAsync(["canon", "--max-bytes", "4", path], [])).ExitCode);
        Assert.Equal(0, (await RunAsync(["canon", "--max-bytes", "5", path], [])).ExitCode);

        // The default depth limit is 1000.
        Assert.Equal(0, (await RunAsync(["canon"], System.Text.Encoding.UTF8.GetBytes(new string('[', 1000) + new string(']', 1000)))).ExitCode);
        Assert.Equal(1, (await RunAsync(["canon"], System.Text.Encoding.UTF8.GetBytes(new string('[', 1001) + new string(']', 1001)))).ExitCode);
    }

    [Theory]
    [InlineData("--max-bytes", "0")]
    [InlineData("--max-bytes", "67108865")]
    [InlineData("--max-depth", "0")]
    [InlineData("--bogus", "1")]
    public async Task Bad_options_are_usage_errors(string option, string value)
    {
        Assert.Equal(2, (await RunAsync(["canon", option, value], "1"u8.ToArray())).ExitCode);
    }

    [Fact]
    public async Task Missing_or_unreadable_file_exits_3()
    {
        var missing = await RunAsync(["canon", Path.Combine(_directory, "missing.json")], []);
        Assert.Equal(3, missing.ExitCode);
        Assert.StartsWith("agenttrust: error AT-ENV-FILE: ", Assert.Single(missing.StderrLines), StringComparison.Ordinal);

        Assert.Equal(3, (await RunAsync(["canon", _directory], [])).ExitCode);
    }

    [Fact]
    public async Task Without_a_byte_stream_the_output_goes_through_the_text_writer()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var context = new CliContext
        {
            StandardInput = new MemoryStream("{\"b\":\"\\u00e9\",\"a\":1}"u8.ToArray()),
            Out = stdout,
            Error = stderr,
            GetEnvironmentVariable = _ => null,
        };
        Assert.Equal(0, await CliApplication.RunAsync(["canon"], context));
        Assert.Equal("{\"a\":1,\"b\":\"é\"}", stdout.ToString());
    }

    [Fact]
    public async Task Built_executable_writes_exact_bytes_and_exit_codes()
    {
        var input = Path.Combine(_directory, "unicode.json");
        var json = "{\"\U0001F600\":[1E30,0.0000001,-0],\"\ue000\":\"</script>\\u0007\\/\",\"a\":\"\u2028\"}";
        await File.WriteAllTextAsync(input, json);

        var ok = await RunExecutableAsync("canon", input);
        Assert.Equal(0, ok.ExitCode);
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes("{\"a\":\"\u2028\",\"\U0001F600\":[1e+30,1e-7,0],\"\ue000\":\"</script>\\u0007/\"}"), ok.Stdout);

        await File.WriteAllTextAsync(input, "{\"a\":1,\"a\":2}");
        var rejected = await RunExecutableAsync("canon", input);
        Assert.Equal(1, rejected.ExitCode);
        Assert.Empty(rejected.Stdout);
        Assert.Equal("agenttrust: error MCPS-017 duplicate_member: duplicate member name (at byte 7)\n", rejected.Stderr);

        Assert.Equal(3, (await RunExecutableAsync("canon", Path.Combine(_directory, "missing.json"))).ExitCode);
    }

    private static async Task<CliResult> RunAsync(string[] args, byte[] stdin)
    {
        using var stdoutBytes = new MemoryStream();
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var context = new CliContext
        {
            StandardInput = new MemoryStream(stdin),
            Out = stdout,
            StandardOutput = stdoutBytes,
            Error = stderr,
            GetEnvironmentVariable = _ => null,
        };
        var exitCode = await CliApplication.RunAsync(args, context);
        Assert.Empty(stdout.ToString()); // canon writes bytes only
        return new CliResult(exitCode, stdoutBytes.ToArray(), stderr.ToString());
    }

    private static async Task<CliResult> RunExecutableAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "agenttrust.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        using var stdout = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        await copy;
        return new CliResult(process.ExitCode, stdout.ToArray(), await stderr);
    }

    private sealed record CliResult(int ExitCode, byte[] Stdout, string Stderr)
    {
        public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
