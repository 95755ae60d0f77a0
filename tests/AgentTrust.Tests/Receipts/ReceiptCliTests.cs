using System.Text.Json.Nodes;
using AgentTrust.Cli;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Receipts;

/// <summary><c>agenttrust receipt …</c> and <c>agenttrust audit …</c> in-process.</summary>
public sealed class ReceiptCliTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("agenttrust-receipt-cli-").FullName;
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 4, 10, 8, 5, 0, TimeSpan.Zero));

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private string AuditDirectory => Path.Combine(_home, "audit");

    [Fact]
    public async Task Sign_logs_and_verify_trusts_only_the_given_key()
    {
        await CreateKeyAsync("bot");
        var signed = await RunAsync("receipt", "sign", "--key", "bot", "--tool", "github_create_issue", "--params", """{"title":"fix bug","body":"details"}""", "--target", "mcp://github.local");
        Assert.Equal(0, signed.ExitCode);
        var receipt = JsonNode.Parse(signed.Out)!.AsObject();
        Assert.Equal("sha256:b878192252cbdf656d2fc739f4d763f8eb1c6195cace74737e13a4bf0d1d05af", receipt["action"]!["params_hash"]!.GetValue<string>());
        Assert.Equal("bot", receipt["signer"]!["name"]!.GetValue<string>());
        var file = Path.Combine(_home, "r.json");
        await File.WriteAllTextAsync(file, signed.Out);

        var trusted = await RunAsync("receipt", "verify", file, "--pubkey", "bot", "--json");
        Assert.Equal(0, trusted.ExitCode);
        var verdict = JsonNode.Parse(trusted.Out)!;
        Assert.True(verdict["valid"]!.GetValue<bool>());
        Assert.Equal("Trusted", verdict["level"]!.GetValue<string>());

        var selfConsistent = JsonNode.Parse((await RunAsync("receipt", "verify", file, "--json")).Out)!;
        Assert.Equal("SelfConsistent", selfConsistent["level"]!.GetValue<string>());

        receipt["action"]!["tool"] = "delete_repo";
        await File.WriteAllTextAsync(file, receipt.ToJsonString());
        var tampered = await RunAsync("receipt", "verify", file, "--pubkey", "bot");
        Assert.Equal(1, tampered.ExitCode);
        Assert.StartsWith("agenttrust: error MCPS-022:", tampered.Err, StringComparison.Ordinal);

        var chain = await RunAsync("audit", "verify", "--signatures", "--json");
        Assert.Equal(0, chain.ExitCode);
        Assert.Equal(1, JsonNode.Parse(chain.Out)!["records"]!.GetValue<long>());
        Assert.Equal(0, JsonNode.Parse(chain.Out)!["trusted_signatures"]!.GetValue<long>());
        var anchored = await RunAsync("audit", "verify", "--signatures", "--pubkey", "bot", "--json");
        Assert.Equal(1, JsonNode.Parse(anchored.Out)!["trusted_signatures"]!.GetValue<long>());
    }

    [Fact]
    public async Task Hash_only_and_no_log_and_params_from_a_file()
    {
        await CreateKeyAsync("bot");
        var paramsFile = Path.Combine(_home, "p.json");
        await File.WriteAllTextAsync(paramsFile, """{"secret":"s3cr3t"}""");
        var signed = await RunAsync("receipt", "sign", "--key", "bot", "--tool", "t", "--params", "@" + paramsFile, "--target", "mcp://x", "--hash-only", "--no-log");
        Assert.Equal(0, signed.ExitCode);
        var receipt = JsonNode.Parse(signed.Out)!;
        Assert.Null(receipt["action"]!["params"]);
        Assert.DoesNotContain("s3cr3t", signed.Out, StringComparison.Ordinal);
        Assert.False(Directory.Exists(AuditDirectory));
    }

    [Fact]
    public async Task Unsafe_integers_are_refused_with_mcps_017()
    {
        await CreateKeyAsync("bot");
        var result = await RunAsync("receipt", "sign", "--key", "bot", "--tool", "t", "--params", """{"n":9007199254740992}""", "--target", "mcp://x");
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("agenttrust: error MCPS-017:", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_accepts_vector_files_with_an_ed25519_string_or_a_pub_file()
    {
        var v4 = SignetVectors.FilePath("receipt_v4_authorized.json");
        var result = await RunAsync("receipt", "verify", v4, "--pubkey", SignetVectors.PublicKey("root"), "--json");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(4, JsonNode.Parse(result.Out)!["version"]!.GetValue<int>());

        var pub = SignetVectors.FilePath("keyfile.pub.json");
        var v1 = await RunAsync("receipt", "verify", SignetVectors.FilePath("receipt_v1.json"), "--pubkey", pub, "--json");
        Assert.Equal(0, v1.ExitCode);
        Assert.Equal("Trusted", JsonNode.Parse(v1.Out)!["level"]!.GetValue<string>());

        var bad = await RunAsync("receipt", "verify", SignetVectors.FilePath("receipt_v1.json"), "--pubkey", "ed25519:nope");
        Assert.Equal(2, bad.ExitCode);
    }

    [Fact]
    public async Task Audit_verify_show_and_checkpoint()
    {
        await CreateKeyAsync("bot");
        await CreateKeyAsync("audit");
        Assert.Equal(0, (await RunAsync("receipt", "sign", "--key", "bot", "--tool", "read", "--params", "{}", "--target", "mcp://fs")).ExitCode);
        Assert.Equal(0, (await RunAsync("receipt", "sign", "--key", "bot", "--tool", "write", "--params", "{}", "--target", "mcp://fs")).ExitCode);

        var verify = await RunAsync("audit", "verify");
        Assert.Equal(0, verify.ExitCode);
        Assert.Contains("Chain intact: 2 records verified", verify.Out, StringComparison.Ordinal);

        var show = await RunAsync("audit", "show", "--tool", "write", "--json");
        Assert.Single(JsonNode.Parse(show.Out)!.AsArray());
        _time.Advance(TimeSpan.FromHours(2));
        Assert.Empty(JsonNode.Parse((await RunAsync("audit", "show", "--since", "1h", "--json")).Out)!.AsArray());
        Assert.Equal(2, (await RunAsync("audit", "show", "--since", "24h")).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1);

        var checkpoint = await RunAsync("audit", "checkpoint", "--json");
        Assert.Equal(0, checkpoint.ExitCode);
        Assert.Equal(2, JsonNode.Parse(checkpoint.Out)!["record_count"]!.GetValue<long>());

        var file = Directory.GetFiles(AuditDirectory, "*.jsonl").Single();
        await File.WriteAllLinesAsync(file, File.ReadAllLines(file).Take(1));
        var truncated = await RunAsync("audit", "verify", "--json");
        Assert.Equal(1, truncated.ExitCode);
        Assert.Equal("tail_truncated", JsonNode.Parse(truncated.Out)!["first_break"]!["reason"]!.GetValue<string>());
        var text = await RunAsync("audit", "verify");
        Assert.Equal(1, text.ExitCode);
        Assert.Contains("agenttrust: error MCPS-023:", text.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_verify_with_signatures_does_not_pass_a_record_it_could_not_check()
    {
        Directory.CreateDirectory(AuditDirectory);
        File.Copy(SignetVectors.FilePath("audit_chain_valid.jsonl"), Path.Combine(AuditDirectory, "2026-01-01.jsonl"));
        Assert.Equal(0, (await RunAsync("audit", "verify")).ExitCode);

        var sweep = await RunAsync("audit", "verify", "--signatures");
        Assert.Equal(1, sweep.ExitCode);
        Assert.StartsWith("agenttrust: error MCPS-022:", sweep.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("records verified", sweep.Out, StringComparison.Ordinal);
        var json = JsonNode.Parse((await RunAsync("audit", "verify", "--signatures", "--json")).Out)!;
        Assert.False(json["valid"]!.GetValue<bool>());
        Assert.Equal("params_encrypted_unverifiable", json["first_unverifiable"]!["reason"]!.GetValue<string>());

        // With the signer's key the record is decrypted and its signature checked: every record verifies.
        using (var agent = AgentTrust.Cryptography.SigningKey.Import(AgentTrust.Cryptography.SignatureAlgorithm.EdDSA, SignetVectors.Seed("agent")))
        {
            var store = new AgentTrust.KeyStore.FileKeyStore(AgentTrust.KeyStore.FileKeyStore.DefaultDirectory(_home));
            await store.AddAsync(agent, "agent", AgentTrust.KeyStore.KeyProtection.Unencrypted);
        }

        var decrypted = await RunAsync("audit", "verify", "--signatures", "--params-key", "agent", "--json");
        Assert.Equal(0, decrypted.ExitCode);
        Assert.Equal(3, JsonNode.Parse(decrypted.Out)!["signatures_verified"]!.GetValue<long>());

        // The same key named twice is held once (and still verifies).
        var twice = await RunAsync("audit", "verify", "--signatures", "--params-key", "agent", "--params-key", "agent", "--json");
        Assert.Equal(0, twice.ExitCode);
        Assert.Equal(3, JsonNode.Parse(twice.Out)!["signatures_verified"]!.GetValue<long>());
    }

    [Fact]
    public async Task Audit_verify_refuses_an_ES256_params_key_before_exporting_it()
    {
        Directory.CreateDirectory(AuditDirectory);
        File.Copy(SignetVectors.FilePath("audit_chain_valid.jsonl"), Path.Combine(AuditDirectory, "2026-01-01.jsonl"));
        Assert.Equal(0, (await RunAsync("key", "new", "--alg", "es256", "--name", "p256", "--unencrypted")).ExitCode);

        var refused = await RunAsync("audit", "verify", "--signatures", "--params-key", "p256");
        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith("agenttrust: error AT-KEY-UNSUPPORTED:", refused.Err, StringComparison.Ordinal);
    }

    private async Task CreateKeyAsync(string name)
        => Assert.Equal(0, (await RunAsync("key", "new", "--alg", "ed25519", "--name", name, "--unencrypted")).ExitCode);

    private async Task<(int ExitCode, string Out, string Err)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var env = new Dictionary<string, string> { ["AGENTTRUST_HOME"] = _home };
        var context = new CliContext
        {
            StandardInput = Stream.Null,
            Out = stdout,
            Error = stderr,
            GetEnvironmentVariable = name => env.GetValueOrDefault(name),
            Time = _time,
        };
        var exit = await CliApplication.RunAsync(args, context);
        return (exit, stdout.ToString(), stderr.ToString());
    }
}
