using System.Text.Json;
using AgentTrust.Cli;
using AgentTrust.Tests.Attestation.Jwks;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Cli;

public sealed class AttestCommandTests : IDisposable
{
    private const long T0 = 1_767_225_600;
    private readonly string _home = Directory.CreateTempSubdirectory("agenttrust-cli-attest-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private async Task<(int Exit, string Out, string Error)> Run(string[] args, string? stdin = null)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal) { ["AGENTTRUST_HOME"] = _home };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var context = new CliContext
        {
            StandardInput = stdin is null ? Stream.Null : new MemoryStream(System.Text.Encoding.UTF8.GetBytes(stdin)),
            Out = output,
            Error = error,
            GetEnvironmentVariable = name => variables.GetValueOrDefault(name),
            Time = ManualTimeProvider.AtUnixSeconds(T0),
        };
        var exit = await CliApplication.RunAsync(args, context);
        return (exit, output.ToString(), error.ToString());
    }

    private async Task<(string Token, string JwksFile)> IssueAsync(string alg = "ed25519", string audience = "https://srv.example")
    {
        Assert.Equal(0, (await Run(["key", "new", "--alg", alg, "--name", "issuer", "--unencrypted"])).Exit);
        var (exit, token, error) = await Run(["attest", "issue", "--key", "issuer", "--issuer", "https://ta.example", "--audience", audience,
            "--subject", "spiffe://ta.example/agent/p-1", "--model-family", "claude-4", "--model-version", "claude-sonnet-4", "--provider", "anthropic", "--safety-level", "enhanced"]);
        Assert.True(exit == 0, error);
        var (jwksExit, jwks, _) = await Run(["attest", "jwks", "--key", "issuer"]);
        Assert.Equal(0, jwksExit);
        var file = Path.Combine(_home, "jwks.json");
        await File.WriteAllTextAsync(file, jwks);
        return (token.Trim(), file);
    }

    [Theory]
    [InlineData("ed25519")]
    [InlineData("es256")]
    public async Task Issue_jwks_verify_round_trip(string alg)
    {
        var (token, jwks) = await IssueAsync(alg);
        Assert.Equal(3, token.Split('.').Length);
        var (exit, output, error) = await Run(["attest", "verify", "--jwks", jwks, "--issuer", "https://ta.example", "--audience", "https://srv.example", "--now", (T0 + 10).ToString(System.Globalization.CultureInfo.InvariantCulture), "--json"], token);
        Assert.True(exit == 0, output + error);
        using var doc = JsonDocument.Parse(output);
        Assert.True(doc.RootElement.GetProperty("verified").GetBoolean());
        Assert.Equal("enhanced", doc.RootElement.GetProperty("safety_level").GetString());
        Assert.Equal("spiffe://ta.example/agent/p-1", doc.RootElement.GetProperty("subject").GetString());
    }

    [Fact]
    public async Task Wrong_audience_expired_and_untrusted_issuer_exit_1_with_the_reason()
    {
        var (token, jwks) = await IssueAsync();
        var tokenFile = Path.Combine(_home, "token.jwt");
        await File.WriteAllTextAsync(tokenFile, token);
        async Task<string?> Reason(params string[] extra)
        {
            var (exit, output, _) = await Run(["attest", "verify", "--token", tokenFile, "--jwks", jwks, "--json", .. extra]);
            Assert.Equal(1, exit);
            using var doc = JsonDocument.Parse(output);
            return doc.RootElement.GetProperty("reason").GetString();
        }

        Assert.Equal("audience_mismatch", await Reason("--issuer", "https://ta.example", "--audience", "https://other.example"));
        Assert.Equal("expired", await Reason("--issuer", "https://ta.example", "--audience", "https://srv.example", "--now", (T0 + 330).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal("untrusted_issuer", await Reason("--issuer", "https://someone-else.example", "--audience", "https://srv.example"));
    }

    [Fact]
    public async Task Verify_needs_an_explicit_issuer_and_audience()
    {
        var (token, jwks) = await IssueAsync();
        Assert.Equal(2, (await Run(["attest", "verify", "--jwks", jwks, "--audience", "https://srv.example"], token)).Exit);
        Assert.Equal(2, (await Run(["attest", "verify", "--jwks", jwks, "--issuer", "https://ta.example"], token)).Exit);
        Assert.Equal(2, (await Run(["attest", "verify", "--jwks", jwks, "--issuer", "http://ta.example", "--audience", "https://srv.example"], token)).Exit);
    }

    [Fact]
    public async Task Reference_vector_verifies_with_the_interop_jwks()
    {
        using var doc = JsonDocument.Parse(SharedFiles.ReadText("interop", "attestation", "vectors.json"));
        var token = doc.RootElement.GetProperty("baseline")[0].GetProperty("token").GetString()!;
        var (exit, output, error) = await Run(["attest", "verify", "--jwks", SharedFiles.Path("interop", "attestation", "jwks.json"), "--issuer", "https://api.anthropic.com",
            "--audience", "https://mcp-server.example.com", "--now", "1767225610"], token);
        Assert.True(exit == 0, output + error);
    }

    [Fact]
    public async Task Missing_token_under_optional_is_not_verified_but_may_proceed()
    {
        var (_, jwks) = await IssueAsync();
        var (exit, output, _) = await Run(["attest", "verify", "--jwks", jwks, "--issuer", "https://ta.example", "--audience", "https://srv.example", "--mode", "optional", "--json"], "");
        Assert.Equal(1, exit);
        using var doc = JsonDocument.Parse(output);
        Assert.True(doc.RootElement.GetProperty("should_proceed").GetBoolean());
        Assert.Equal("missing", doc.RootElement.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Verify_against_a_loopback_jwks_url()
    {
        var (token, jwks) = await IssueAsync();
        using var server = new LoopbackJwksServer { Body = await File.ReadAllTextAsync(jwks) };
        var (exit, output, error) = await Run(["attest", "verify", "--jwks", server.Url.ToString(), "--issuer", "https://ta.example", "--audience", "https://srv.example"], token);
        Assert.True(exit == 0, output + error);
        server.Status = 500;
        Assert.Equal(3, (await Run(["attest", "verify", "--jwks", server.Url.ToString(), "--issuer", "https://ta.example", "--audience", "https://srv.example"], token)).Exit);
    }

    [Fact]
    public async Task Jwks_output_holds_no_private_member()
    {
        await IssueAsync();
        var (_, jwks, _) = await Run(["attest", "jwks", "--key", "issuer"]);
        using var doc = JsonDocument.Parse(jwks);
        var key = doc.RootElement.GetProperty("keys")[0];
        Assert.False(key.TryGetProperty("d", out _));
        Assert.Equal("sig", key.GetProperty("use").GetString());
    }
}
