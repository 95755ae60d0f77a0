using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using AgentTrust.Authority.Storage;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Authority;

/// <summary>
/// A real <c>agenttrust authority serve</c> process is killed (SIGKILL) right after acknowledging writes; reopening the
/// SQLite registry must show every acknowledged registration and revocation.
/// </summary>
public sealed class AuthorityCrashTests : IDisposable
{
    private readonly TemporaryDirectory _home = new("agenttrust-ta-crash-");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _home.Dispose();
    }

    [Fact]
    public async Task Acknowledged_writes_survive_a_killed_server_process()
    {
        var db = _home.File("crash.db");
        var cli = typeof(AgentTrust.Cli.CliApplication).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { cli, "authority", "serve", "--db", "sqlite:" + db, "--urls", "http://127.0.0.1:0" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["AGENTTRUST_HOME"] = _home.Path;
        start.Environment["AGENTTRUST_PASSPHRASE"] = "crash-test";
        using var process = Process.Start(start)!;
        string[] registeredIds = [];
        try
        {
            string? token = null;
            string? url = null;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (url is null)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("serve exited: " + await process.StandardError.ReadToEndAsync());
                if (line.StartsWith(AgentTrust.Authority.Services.AdminTokens.Prefix, StringComparison.Ordinal))
                {
                    token = line.Trim();
                }
                else if (line.StartsWith("Listening on ", StringComparison.Ordinal))
                {
                    url = line["Listening on ".Length..].Trim();
                }
            }

            Assert.NotNull(token);
            var clock = TimeProvider.System;
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            var agents = Enumerable.Range(0, 5).Select(i => AuthorityTestHost.NewAgent(clock, "crash-" + i)).ToArray();
            foreach (var agent in agents)
            {
                using var challengeResponse = await http.PostAsync("v1/challenges", null);
                var challenge = (await AuthorityTestHost.ReadObjectAsync(challengeResponse))["challenge"]!.GetValue<string>();
                using var content = new StringContent(AuthorityTestHost.RegistrationBody(agent.Passport, challenge, agent.Key).ToJsonString(), System.Text.Encoding.UTF8, "application/json");
                using var registered = await http.PostAsync("v1/agents", content);
                Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
            }

            registeredIds = agents.Select(a => a.PassportId).ToArray();
            using (var revoke = new HttpRequestMessage(HttpMethod.Post, $"v1/passports/{agents[0].PassportId}/revoke"))
            {
                revoke.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
                revoke.Content = new StringContent(new JsonObject { ["reason"] = "before crash" }.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
                using var revoked = await http.SendAsync(revoke);
                Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
            }

            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        await using var reopened = new SqliteAuthorityRepository(db);
        await reopened.MigrateAsync(CancellationToken.None);
        var revocations = await reopened.GetRevocationsAsync(CancellationToken.None);
        var entry = Assert.Single(revocations.Entries);
        Assert.Equal("before crash", entry.Reason);
        Assert.Equal(registeredIds[0], entry.PassportId);
        foreach (var id in registeredIds)
        {
            Assert.NotNull(await reopened.GetPassportAsync(id, CancellationToken.None));
        }
    }
}
