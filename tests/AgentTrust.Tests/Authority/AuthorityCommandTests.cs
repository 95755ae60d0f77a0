using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using AgentTrust.Authority.Storage;
using AgentTrust.Cli;
using AgentTrust.Cryptography;
using AgentTrust.KeyStore;
using AgentTrust.Mcps.Passports;

namespace AgentTrust.Tests.Authority;

/// <summary><c>agenttrust authority …</c> run in-process against real servers.</summary>
public sealed class AuthorityCommandTests() : AuthorityCliTest("agenttrust-cli-ta-")
{
    private Task<(int Exit, string Out, string Error)> Run(string[] args, Dictionary<string, string>? env = null, TextWriter? output = null, CancellationToken cancellationToken = default) =>
        RunCliAsync(args, env, output, cancellationToken);

    private Dictionary<string, string> Admin(string? token = null) => new() { ["AGENTTRUST_ADMIN_TOKEN"] = token ?? TaHost.AdminToken };

    private async Task<(string PassportId, string File)> AgentWithPassportFileAsync(string name = "agent")
    {
        var store = new FileKeyStore(FileKeyStore.DefaultDirectory(Home.Path));
        using var key = SigningKey.Generate(SignatureAlgorithm.ES256);
        await store.AddAsync(key, name, KeyProtection.Unencrypted);
        var passport = PassportIssuer.CreateSelfIssued(new PassportRequest { PublicKey = key.PublicKey, AgentName = name }, key, TaHost.Clock);
        var file = Home.File(name + ".passport.json");
        await File.WriteAllBytesAsync(file, passport.ToCanonicalJson());
        return (passport.PassportId, file);
    }

    [Fact]
    public async Task Admin_token_create_prints_the_token_alone_on_the_last_line_and_stores_only_its_hash()
    {
        var db = Home.File("ta.db");
        var (exit, output, error) = await Run(["authority", "admin-token", "create", "--db", "sqlite:" + db, "--label", "ops"]);
        Assert.True(exit == 0, error);
        var token = output.TrimEnd('\n', '\r').Split('\n')[^1];
        Assert.Matches("^atadm_[A-Za-z0-9_-]{43}$", token);

        await using var repository = new SqliteAuthorityRepository(db);
        var stored = Assert.Single(await repository.GetAdminTokensAsync(CancellationToken.None));
        Assert.Equal("ops", stored.Label);
        Assert.Equal("ops", AgentTrust.Authority.Services.AdminTokens.Match(token, [stored])!.Label);
        Assert.DoesNotContain(token, System.Text.Encoding.Latin1.GetString(await File.ReadAllBytesAsync(db)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_creates_keys_prints_a_first_admin_token_and_where_it_listens()
    {
        var db = Home.File("serve.db");
        string? firstKid = null;
        foreach (var round in new[] { 1, 2 })
        {
            var output = new SignalingWriter("Listening on ");
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var run = Run(["authority", "serve", "--db", "sqlite:" + db, "--urls", "http://127.0.0.1:0", "--name", "cli-ta"], new() { ["AGENTTRUST_PASSPHRASE"] = "pw" }, output, cancel.Token);
            var listening = await output.Seen.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var url = listening[(listening.IndexOf("Listening on ", StringComparison.Ordinal) + "Listening on ".Length)..].Trim();
            using (var http = new HttpClient { BaseAddress = new Uri(url) })
            {
                using var health = await http.GetAsync("healthz");
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);
                using var jwks = await http.GetAsync(".well-known/jwks.json");
                var kid = (await AuthorityTestHost.ReadObjectAsync(jwks))["keys"]![0]!["kid"]!.GetValue<string>();
                firstKid ??= kid;
                Assert.Equal(firstKid, kid);
            }

            await cancel.CancelAsync();
            var (exit, text, error) = await run;
            Assert.True(exit == 0, error);
            Assert.Equal(round == 1, text.Contains("First start: admin token", StringComparison.Ordinal));
        }

        var store = new FileKeyStore(FileKeyStore.DefaultDirectory(Home.Path));
        var keys = (await store.ListAsync()).Keys;
        Assert.Contains(keys, k => k.Name == "authority" && k.Algorithm == SignatureAlgorithm.ES256 && k.IsEncrypted);
        Assert.Contains(keys, k => k.Name == "authority-anchor" && k.Algorithm == SignatureAlgorithm.EdDSA && k.IsEncrypted);
    }

    [Fact]
    public async Task Register_prints_the_authority_signed_passport()
    {
        var (passportId, file) = await AgentWithPassportFileAsync();
        var (exit, output, error) = await Run(["authority", "register", "--url", Url, "--key", "agent", "--passport", file]);
        Assert.True(exit == 0, error);
        var issued = (JsonObject)JsonNode.Parse(output)!;
        Assert.Equal(passportId, issued["passport_id"]!.GetValue<string>());
        Assert.Equal("test-ta", issued["issuer"]!.GetValue<string>());
        var verified = new PassportVerifier(TaHost.Anchors, null, TaHost.Clock).Verify(System.Text.Encoding.UTF8.GetBytes(issued.ToJsonString()));
        Assert.True(verified.IsValid, verified.Reason);
    }

    [Fact]
    public async Task Register_refuses_a_key_that_is_not_the_passport_key()
    {
        var (_, file) = await AgentWithPassportFileAsync("agent");
        await AgentWithPassportFileAsync("other");
        var (exit, _, error) = await Run(["authority", "register", "--url", Url, "--key", "other", "--passport", file]);
        Assert.Equal(1, exit);
        Assert.Contains("MCPS-004", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_revoke_and_trust_through_the_command_line()
    {
        var (passportId, file) = await AgentWithPassportFileAsync();
        Assert.Equal(0, (await Run(["authority", "register", "--url", Url, "--key", "agent", "--passport", file])).Exit);

        var (exit, output, error) = await Run(["authority", "status", passportId, "--url", Url]);
        Assert.True(exit == 0, error);
        Assert.Contains("status: VALID", output, StringComparison.Ordinal);
        Assert.Contains("trust_level: 1", output, StringComparison.Ordinal);

        (exit, output, error) = await Run(["authority", "trust", passportId, "--level", "3", "--reason", "scanned", "--url", Url], Admin());
        Assert.True(exit == 0, error);
        Assert.Contains("trust_level: 3", output, StringComparison.Ordinal);

        (exit, _, error) = await Run(["authority", "revoke", passportId, "--reason", "r", "--url", Url]);
        Assert.Equal(3, exit);
        Assert.Contains("AT-ADMIN-TOKEN", error, StringComparison.Ordinal);

        (exit, _, error) = await Run(["authority", "revoke", passportId, "--reason", "r", "--url", Url], Admin("atadm_wrong"));
        Assert.Equal(1, exit);
        Assert.Contains("MCPS-009", error, StringComparison.Ordinal);

        (exit, output, error) = await Run(["authority", "revoke", passportId, "--reason", "compromised", "--url", Url], Admin());
        Assert.True(exit == 0, error);
        Assert.Contains("status: REVOKED", output, StringComparison.Ordinal);

        (exit, output, _) = await Run(["authority", "status", passportId, "--url", Url, "--json"]);
        Assert.Equal(1, exit); // the document is printed, but a revoked passport must not pass 'status ID && ...'
        Assert.Equal("REVOKED", JsonNode.Parse(output)!["status"]!.GetValue<string>());

        (exit, _, _) = await Run(["authority", "trust", passportId, "--level", "7", "--reason", "x", "--url", Url], Admin());
        Assert.Equal(2, exit);
    }

    [Fact]
    public async Task An_unreachable_authority_is_an_environment_error_with_MCPS_007()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var (exit, _, error) = await Run(["authority", "status", "asp_" + new string('a', 32), "--url", $"http://127.0.0.1:{port}"]);
        Assert.Equal(3, exit);
        Assert.Contains("MCPS-007", error, StringComparison.Ordinal);
    }

    /// <summary>A thread-safe writer that completes <see cref="Seen"/> with the first line containing a marker.</summary>
    private sealed class SignalingWriter(string marker) : TextWriter
    {
        private readonly StringBuilder _text = new();
        private readonly object _gate = new();

        public TaskCompletionSource<string> Seen { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_gate)
            {
                _text.Append(value);
                if (value == '\n')
                {
                    var lines = _text.ToString().Split('\n');
                    var line = lines.Length >= 2 ? lines[^2] : string.Empty;
                    if (line.Contains(marker, StringComparison.Ordinal))
                    {
                        Seen.TrySetResult(line);
                    }
                }
            }
        }

        public override string ToString()
        {
            lock (_gate)
            {
                return _text.ToString();
            }
        }
    }
    private async Task SignReceiptAsync(string key, int i)
        => Assert.Equal(0, (await Run(["receipt", "sign", "--key", key, "--tool", "read", "--params", $$"""{"i":{{i}}}""", "--target", "mcp://fs"])).Exit);

    private string AuditDirectory => Home.File("audit");

    [Fact]
    public async Task Audit_anchor_deposits_the_head_and_verify_against_the_authority_catches_a_cut_tail_without_local_anchors()
    {
        Assert.Equal(0, (await Run(["key", "new", "--alg", "ed25519", "--name", "audit", "--unencrypted"])).Exit);
        Assert.Equal(0, (await Run(["key", "new", "--alg", "ed25519", "--name", "bot", "--unencrypted"])).Exit);
        for (var i = 0; i < 3; i++)
        {
            await SignReceiptAsync("bot", i);
        }

        var (exit, output, error) = await Run(["audit", "anchor", "--authority", Url, "--json"]);
        Assert.True(exit == 0, error);
        Assert.Equal(3, JsonNode.Parse(output)!["record_count"]!.GetValue<long>());
        var logId = JsonNode.Parse(output)!["log_id"]!.GetValue<string>();
        Assert.True(File.Exists(Path.Combine(AuditDirectory, "anchors", "00000000000000000003.anchor.json")));
        Assert.True(File.Exists(Home.File("pinned-authorities.json")));
        await SignReceiptAsync("bot", 3);

        (exit, output, error) = await Run(["audit", "verify", "--authority", Url, "--json"]);
        Assert.True(exit == 0, error + output);
        Assert.Equal(1, JsonNode.Parse(output)!["anchors_checked"]!.GetValue<long>());

        // Cut the tail below the anchored head and delete every local anchor: only the authority still knows.
        var file = Directory.GetFiles(AuditDirectory, "*.jsonl").Single();
        await File.WriteAllLinesAsync(file, File.ReadAllLines(file).Take(2));
        Directory.Delete(Path.Combine(AuditDirectory, "anchors"), recursive: true);
        Assert.Equal(0, (await Run(["audit", "verify", "--json"])).Exit);
        (exit, output, _) = await Run(["audit", "verify", "--authority", Url, "--json"]);
        Assert.Equal(1, exit);
        Assert.Equal("tail_truncated", JsonNode.Parse(output)!["first_break"]!["reason"]!.GetValue<string>());
        Assert.Equal("MCPS-023", JsonNode.Parse(output)!["first_break"]!["code"]!.GetValue<string>());

        // A log rewritten from its first record has a new log id the authority never saw; naming the anchored id catches it.
        File.Delete(file);
        for (var i = 0; i < 5; i++)
        {
            await SignReceiptAsync("bot", 10 + i);
        }

        // The anchored id was recorded in AGENTTRUST_HOME by 'audit anchor', so it is the default too.
        Assert.Equal(1, (await Run(["audit", "verify", "--authority", Url])).Exit);
        (exit, output, _) = await Run(["audit", "verify", "--authority", Url, "--log-id", logId, "--json"]);
        Assert.Equal(1, exit);
        Assert.Equal("anchor_mismatch", JsonNode.Parse(output)!["first_break"]!["reason"]!.GetValue<string>());
        (exit, _, error) = await Run(["audit", "verify", "--authority", Url, "--log-id", "sha256:" + new string('1', 64)]);
        Assert.Equal(1, exit);
        Assert.StartsWith("agenttrust: error MCPS-023:", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_verify_refuses_anchors_signed_by_a_key_that_is_not_pinned()
    {
        Assert.Equal(0, (await Run(["key", "new", "--alg", "ed25519", "--name", "audit", "--unencrypted"])).Exit);
        Assert.Equal(0, (await Run(["key", "new", "--alg", "ed25519", "--name", "forger", "--unencrypted"])).Exit);
        for (var i = 0; i < 2; i++)
        {
            await SignReceiptAsync("audit", i);
        }

        Assert.Equal(0, (await Run(["audit", "checkpoint"])).Exit);
        Assert.Equal(0, (await Run(["audit", "verify"])).Exit);

        // A checkpoint re-signed by another key verifies with the key it embeds, but not with the pinned 'audit' key.
        Directory.Delete(Path.Combine(AuditDirectory, "anchors"), recursive: true);
        Assert.Equal(0, (await Run(["audit", "checkpoint", "--key", "forger"])).Exit);
        var (exit, output, _) = await Run(["audit", "verify", "--json"]);
        Assert.Equal(1, exit);
        Assert.Equal("anchor_untrusted", JsonNode.Parse(output)!["first_break"]!["reason"]!.GetValue<string>());
        Assert.Equal(0, (await Run(["audit", "verify", "--anchor-key", "forger"])).Exit);
    }
}
