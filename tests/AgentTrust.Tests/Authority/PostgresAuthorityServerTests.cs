using System.Net;
using System.Text.Json.Nodes;
using AgentTrust.Authority.Storage;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Authority;

/// <summary>The whole HTTP flow on a real PostgreSQL registry, and two servers sharing it.</summary>
[Collection(PostgresServer.CollectionName)]
public sealed class PostgresAuthorityServerTests(PostgresServer server)
{
    private async Task<string> LocationAsync() =>
        await server.CreateSchemaAsync(await server.SharedDatabaseAsync(nameof(PostgresAuthorityServerTests)), "ta_http");

    [Fact]
    public async Task Register_revoke_and_status_work_on_PostgreSQL_and_are_shared_between_servers()
    {
        var location = await LocationAsync();
        await using var first = await AuthorityTestHost.StartAsync(repositoryFactory: () => Task.FromResult<IAuthorityRepository>(new PostgresAuthorityRepository(location)));
        var agent = first.NewAgent();
        await first.RegisterAsync(agent);

        using (var health = await first.Http.GetAsync("healthz"))
        {
            Assert.Equal("postgres", (await AuthorityTestHost.ReadObjectAsync(health))["engine"]!.GetValue<string>());
        }

        await using var second = await AuthorityTestHost.StartAsync(repositoryFactory: () => Task.FromResult<IAuthorityRepository>(new PostgresAuthorityRepository(location)));
        using (var status = await second.Http.GetAsync($"v1/passports/{agent.PassportId}/status"))
        {
            Assert.Equal("VALID", (await AuthorityTestHost.ReadObjectAsync(status))["status"]!.GetValue<string>());
        }

        using (var revoke = await first.PostJsonAsync($"v1/passports/{agent.PassportId}/revoke", new JsonObject { ["reason"] = "shared" }, first.AdminToken))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }

        using (var status = await second.Http.GetAsync($"v1/passports/{agent.PassportId}/status"))
        {
            Assert.Equal("REVOKED", (await AuthorityTestHost.ReadObjectAsync(status))["status"]!.GetValue<string>());
        }

        // A challenge issued by one server is single-use across both.
        var challenge = await first.ChallengeAsync();
        var other = first.NewAgent("other");
        using (var ok = await second.PostJsonAsync("v1/agents", AuthorityTestHost.RegistrationBody(other.Passport, challenge, other.Key)))
        {
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        }

        var third = first.NewAgent("third");
        using var replay = await first.PostJsonAsync("v1/agents", AuthorityTestHost.RegistrationBody(third.Passport, challenge, third.Key));
        await AuthorityTestHost.AssertProblemAsync(replay, HttpStatusCode.BadRequest, "MCPS-004", "invalid_challenge");
    }
}
