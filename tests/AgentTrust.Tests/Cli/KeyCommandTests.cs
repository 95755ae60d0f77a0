using System.Security.Cryptography;
using System.Text.Json;
using AgentTrust.Cli;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Keys;
using AgentTrust.KeyStore;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Cli;

public sealed class KeyCommandTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("agenttrust-cli-keys-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private string KeyDirectory => Path.Combine(_home, "keys");

    private async Task<(int Exit, string Out, string Error)> Run(string[] args, Dictionary<string, string>? env = null, Func<string, string?>? prompt = null)
    {
        var variables = new Dictionary<string, string>(env ?? [], StringComparer.Ordinal) { ["AGENTTRUST_HOME"] = _home };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var context = new CliContext
        {
            StandardInput = Stream.Null,
            Out = output,
            Error = error,
            GetEnvironmentVariable = name => variables.GetValueOrDefault(name),
            Time = new ManualTimeProvider(new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero)),
            IsInteractive = prompt is not null,
            PromptSecret = prompt ?? (_ => null),
        };
        var exit = await CliApplication.RunAsync(args, context);
        return (exit, output.ToString(), error.ToString());
    }

    private static Dictionary<string, string> Pass(string value = "pw") => new() { ["AGENTTRUST_PASSPHRASE"] = value };

    [Theory]
    [InlineData("key")]
    [InlineData("key new")]
    [InlineData("key list")]
    [InlineData("key show")]
    [InlineData("key export")]
    [InlineData("key import")]
    public async Task Every_key_command_has_help(string command)
    {
        var (exit, output, _) = await Run([.. command.Split(' '), "--help"]);
        Assert.Equal(0, exit);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
        if (command == "key export")
        {
            Assert.Contains("--public", output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("es256", "ES256")]
    [InlineData("ed25519", "EdDSA")]
    public async Task New_creates_an_encrypted_key_and_json_describes_it(string alg, string jose)
    {
        var (exit, output, error) = await Run(["key", "new", "--alg", alg, "--name", "agent", "--json"], Pass());
        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        Assert.Equal("agent", json.RootElement.GetProperty("name").GetString());
        Assert.Equal(jose, json.RootElement.GetProperty("algorithm").GetString());
        Assert.True(json.RootElement.GetProperty("encrypted").GetBoolean());
        var store = new FileKeyStore(KeyDirectory);
        using var key = await store.OpenAsync("agent", () => "pw");
        Assert.Equal(key.PublicKey.Thumbprint, json.RootElement.GetProperty("kid").GetString());
    }

    [Fact]
    public async Task Signet_passphrase_variable_and_an_interactive_prompt_are_accepted()
    {
        Assert.Equal(0, (await Run(["key", "new", "--alg", "ed25519", "--name", "a"], new() { ["SIGNET_PASSPHRASE"] = "sp" })).Exit);
        using (await new FileKeyStore(KeyDirectory).OpenAsync("a", () => "sp"))
        {
        }

        var prompts = new List<string>();
        var (exit, _, _) = await Run(["key", "new", "--alg", "es256", "--name", "b"], prompt: p =>
        {
            prompts.Add(p);
            return "typed";
        });
        Assert.Equal(0, exit);
        Assert.Equal(2, prompts.Count);
        using (await new FileKeyStore(KeyDirectory).OpenAsync("b", () => "typed"))
        {
        }

        var count = 0;
        var mismatch = await Run(["key", "new", "--alg", "es256", "--name", "c"], prompt: _ => count++ == 0 ? "one" : "two");
        Assert.Equal(2, mismatch.Exit);
        Assert.False(File.Exists(Path.Combine(KeyDirectory, "c.key")));
    }

    [Fact]
    public async Task New_without_a_passphrase_source_is_an_environment_error_and_writes_nothing()
    {
        var (exit, _, error) = await Run(["key", "new", "--alg", "es256", "--name", "a"]);
        Assert.Equal(3, exit);
        Assert.Contains("AT-KEY-PASSPHRASE", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(KeyDirectory) && Directory.EnumerateFileSystemEntries(KeyDirectory).Any());
    }

    [Theory]
    [InlineData(2, "key", "new", "--alg", "rs256", "--name", "a")]
    [InlineData(2, "key", "new", "--alg", "es256", "--name", "../a")]
    [InlineData(2, "key", "new", "--alg", "es256")]
    [InlineData(2, "key", "show", "a.b")]
    [InlineData(3, "key", "show", "missing")]
    [InlineData(2, "key", "export", "a")]
    [InlineData(2, "key", "export", "a", "--public", "--format", "der")]
    [InlineData(3, "key", "import", "/nonexistent/file.pem", "--name", "x")]
    public async Task Usage_and_environment_errors_have_their_exit_codes(int expected, params string[] args)
    {
        var (exit, _, error) = await Run(args, Pass());
        Assert.Equal(expected, exit);
        Assert.StartsWith("agenttrust: error ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_taken_name_is_rejected_with_exit_1()
    {
        Assert.Equal(0, (await Run(["key", "new", "--alg", "ed25519", "--name", "a", "--unencrypted"])).Exit);
        var (exit, _, error) = await Run(["key", "new", "--alg", "ed25519", "--name", "a", "--unencrypted"]);
        Assert.Equal(1, exit);
        Assert.Contains("AT-KEY-EXISTS", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_show_and_export_print_public_material_only()
    {
        Assert.Equal(0, (await Run(["key", "new", "--alg", "ed25519", "--name", "plain", "--unencrypted"])).Exit);
        Assert.Equal(0, (await Run(["key", "new", "--alg", "es256", "--name", "p256", "--unencrypted"])).Exit);
        var secrets = new List<string>();
        foreach (var name in new[] { "plain", "p256" })
        {
            using var file = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(KeyDirectory, name + ".key")));
            var seed = file.RootElement.GetProperty("seed").GetString()!;
            secrets.Add(seed);
            secrets.Add(StrictBase64.EncodeUrl(Convert.FromBase64String(seed)));
            secrets.Add(Convert.ToHexString(Convert.FromBase64String(seed)));
            secrets.Add(Convert.ToHexStringLower(Convert.FromBase64String(seed)));
        }

        var outputs = new List<string>();
        foreach (var args in new[]
        {
            new[] { "key", "list" }, ["key", "list", "--json"], ["key", "show", "plain"], ["key", "show", "p256", "--json"],
            ["key", "export", "p256", "--public"], ["key", "export", "plain", "--public", "--format", "jwk"],
        })
        {
            var (exit, output, error) = await Run(args);
            Assert.True(exit == 0, error);
            outputs.Add(output);
        }

        foreach (var output in outputs)
        {
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
            }
        }

        using var list = JsonDocument.Parse(outputs[1]);
        Assert.Equal(2, list.RootElement.GetProperty("keys").GetArrayLength());
        var store = new FileKeyStore(KeyDirectory);
        var p256 = await store.GetAsync("p256");
        Assert.Equal(p256.PublicKey, PemKeys.ImportPublicKeyPem(outputs[4]));
        Assert.True(JsonWebKey.TryParse(outputs[5], out var jwk, out _));
        Assert.False(jwk!.HasPrivateKey);
        Assert.Equal((await store.GetAsync("plain")).PublicKey.Thumbprint, jwk.KeyId);
        Assert.Equal("EdDSA", jwk.Algorithm);
        Assert.Equal("sig", jwk.Use);
    }

    [Fact]
    public async Task List_reports_a_broken_file_without_hiding_the_others()
    {
        Assert.Equal(0, (await Run(["key", "new", "--alg", "ed25519", "--name", "good", "--unencrypted"])).Exit);
        await File.WriteAllTextAsync(Path.Combine(KeyDirectory, "broken.pub"), "{}");
        var (exit, output, error) = await Run(["key", "list", "--json"]);
        Assert.Equal(1, exit);
        Assert.Contains("AT-KEY-INVALID", error, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(output);
        Assert.Equal("good", json.RootElement.GetProperty("keys")[0].GetProperty("name").GetString());
        Assert.Equal("broken", json.RootElement.GetProperty("problems")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task Import_stores_pem_jwk_and_signet_files_with_the_right_protection()
    {
        using var key = SigningKey.Generate(SignatureAlgorithm.ES256);
        var pemPath = Path.Combine(_home, "k.pem");
        await File.WriteAllTextAsync(pemPath, PemKeys.ExportPrivateKeyPem(key));
        var pubPath = Path.Combine(_home, "k.pub.pem");
        await File.WriteAllTextAsync(pubPath, PemKeys.ExportPublicKeyPem(key.PublicKey));

        Assert.Equal(0, (await Run(["key", "import", pemPath, "--name", "fromPem"], Pass("new-pass"))).Exit);
        Assert.Equal(0, (await Run(["key", "import", pubPath, "--name", "pubOnly"])).Exit);
        var signet = SharedFiles.Path("interop", "signet", "keyfile_encrypted.key.json");
        var (exit, output, error) = await Run(["key", "import", signet, "--name", "signet", "--json"], new() { ["SIGNET_PASSPHRASE"] = "correct horse battery staple" });
        Assert.True(exit == 0, error);
        using (var json = JsonDocument.Parse(output))
        {
            Assert.Equal("ed25519:A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=", json.RootElement.GetProperty("signet_public_key").GetString());
        }

        var store = new FileKeyStore(KeyDirectory);
        using (var reopened = await store.OpenAsync("fromPem", () => "new-pass"))
        {
            Assert.Equal(key.PublicKey, reopened.PublicKey);
        }

        var pubOnly = await store.GetAsync("pubOnly");
        Assert.False(pubOnly.HasPrivateKey);
        Assert.Equal(key.PublicKey, pubOnly.PublicKey);
        Assert.True((await store.GetAsync("signet")).IsEncrypted);
    }

    [Fact]
    public async Task Import_failures_are_typed()
    {
        var signet = SharedFiles.Path("interop", "signet", "keyfile_encrypted.key.json");
        var wrong = await Run(["key", "import", signet, "--name", "s"], Pass("wrong"));
        Assert.Equal(1, wrong.Exit);
        Assert.Contains("AT-KEY-DECRYPT", wrong.Error, StringComparison.Ordinal);

        var noPass = await Run(["key", "import", signet, "--name", "s"]);
        Assert.Equal(3, noPass.Exit);
        Assert.Contains("AT-KEY-PASSPHRASE", noPass.Error, StringComparison.Ordinal);

        using var rsa = RSA.Create(2048);
        var rsaPath = Path.Combine(_home, "rsa.pem");
        await File.WriteAllTextAsync(rsaPath, rsa.ExportSubjectPublicKeyInfoPem());
        var unsupported = await Run(["key", "import", rsaPath, "--name", "r"]);
        Assert.Equal(1, unsupported.Exit);
        Assert.Contains("AT-KEY-UNSUPPORTED", unsupported.Error, StringComparison.Ordinal);

        var junkPath = Path.Combine(_home, "junk.txt");
        await File.WriteAllTextAsync(junkPath, "junk");
        var junk = await Run(["key", "import", junkPath, "--name", "j"]);
        Assert.Equal(1, junk.Exit);
        Assert.Contains("AT-KEY-INVALID", junk.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(KeyDirectory) && Directory.EnumerateFiles(KeyDirectory).Any());
    }
}
