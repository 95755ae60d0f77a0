using System.Net;
using System.Text.Json.Nodes;
using AgentTrust.Authority;
using AgentTrust.Authority.Services;
using AgentTrust.Authority.Storage;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Mcps.Passports;
using AgentTrust.TrustAuthority;
using AgentTrust.Tests.Support;
using Microsoft.Data.Sqlite;

namespace AgentTrust.Tests.Authority;

/// <summary>A real Trust Authority on Kestrel (127.0.0.1, port 0) over SQLite in a temporary directory, with a manual clock.</summary>
internal sealed class AuthorityTestHost : IAsyncDisposable
{
    private readonly TemporaryDirectory? _directory;

    private AuthorityTestHost(AuthorityServer server, AuthorityKeyRing keys, IAuthorityRepository repository, ManualTimeProvider clock, string adminToken, AuthorityServerOptions options, TemporaryDirectory? directory)
    {
        Server = server;
        Keys = keys;
        Repository = repository;
        Clock = clock;
        AdminToken = adminToken;
        Options = options;
        _directory = directory;
        Http = new HttpClient { BaseAddress = server.BaseAddress };
    }

    public AuthorityServer Server { get; }

    public AuthorityKeyRing Keys { get; }

    public IAuthorityRepository Repository { get; }

    public ManualTimeProvider Clock { get; }

    public string AdminToken { get; }

    public AuthorityServerOptions Options { get; }

    public HttpClient Http { get; }

    public static async Task<AuthorityTestHost> StartAsync(Action<AuthorityServerOptions>? configure = null, Func<Task<IAuthorityRepository>>? repositoryFactory = null)
    {
        var clock = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        var options = new AuthorityServerOptions { Name = "test-ta", StatusReuse = TimeSpan.Zero };
        options.Urls.Add("http://127.0.0.1:0");
        configure?.Invoke(options);
        TemporaryDirectory? directory = null;
        IAuthorityRepository repository;
        if (repositoryFactory is null)
        {
            directory = new TemporaryDirectory("agenttrust-ta-http-");
            repository = new SqliteAuthorityRepository(directory.File("authority.db"));
        }
        else
        {
            repository = await repositoryFactory();
        }

        await repository.MigrateAsync(CancellationToken.None);
        var token = await AdminTokens.CreateAsync(repository, "test", clock.GetUtcNow(), CancellationToken.None);
        var keys = AuthorityKeyRing.Generate();
        var server = await AuthorityServer.StartAsync(options, repository, keys, clock);
        return new AuthorityTestHost(server, keys, repository, clock, token, options, directory);
    }

    public TrustAuthorityClient Client(TrustAuthorityClientOptions? options = null, TimeProvider? time = null) =>
        new(Http, options ?? new TrustAuthorityClientOptions { AuthorityKey = Keys.PassportKey.PublicKey, AnchorKey = Keys.AnchorKey.PublicKey }, time ?? Clock);

    public PassportTrustStore Anchors => PassportTrustStore.Empty.Add(Options.Name, Keys.PassportKey.PublicKey);

    public static Agent NewAgent(TimeProvider clock, string name = "test-agent", IReadOnlyList<string>? capabilities = null)
    {
        var key = SigningKey.Generate(SignatureAlgorithm.ES256);
        var passport = PassportIssuer.CreateSelfIssued(
            new PassportRequest { PublicKey = key.PublicKey, AgentName = name, Capabilities = capabilities ?? ["tools:read"], Origin = "https://agent.example.com" },
            key,
            clock);
        return new Agent(key, passport.ToJsonObject(), passport.PassportId);
    }

    public Agent NewAgent(string name = "test-agent", IReadOnlyList<string>? capabilities = null) => NewAgent(Clock, name, capabilities);

    public async Task<string> ChallengeAsync()
    {
        using var response = await Http.PostAsync("v1/challenges", null);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return body["challenge"]!.GetValue<string>();
    }

    public static JsonObject RegistrationBody(JsonObject passport, string challenge, SigningKey signer, string? passportIdForProof = null)
    {
        var id = passportIdForProof ?? passport["passport_id"]!.GetValue<string>();
        return new JsonObject
        {
            ["passport"] = passport.DeepClone(),
            ["challenge"] = challenge,
            ["signature"] = StrictBase64.Encode(signer.Sign(RegistrationProof.BuildPreimage(challenge, id, passport))),
        };
    }

    public Task<HttpResponseMessage> PostJsonAsync(string path, JsonNode body, string? bearer = null) =>
        PostRawAsync(path, System.Text.Encoding.UTF8.GetBytes(body.ToJsonString()), bearer);

    public async Task<HttpResponseMessage> PostRawAsync(string path, byte[] body, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        if (bearer is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }

        return await Http.SendAsync(request);
    }

    /// <summary>Registers an agent through the HTTP API and returns the authority-signed passport.</summary>
    public async Task<JsonObject> RegisterAsync(Agent agent)
    {
        var challenge = await ChallengeAsync();
        using var response = await PostJsonAsync("v1/agents", RegistrationBody(agent.Passport, challenge, agent.Key));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["passport"]!;
    }

    public static async Task<JsonObject> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? mcpsCode, string reason)
    {
        Assert.True(status == response.StatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal((int)status, problem["status"]!.GetValue<int>());
        Assert.Equal(reason, problem["reason"]!.GetValue<string>());
        Assert.Equal(mcpsCode, problem["mcps_code"]?.GetValue<string>());
        Assert.NotNull(problem["type"]);
        Assert.NotNull(problem["title"]);
        return problem;
    }

    public static async Task<JsonObject> ReadObjectAsync(HttpResponseMessage response) =>
        (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        await Repository.DisposeAsync();
        Keys.Dispose();
        if (_directory is not null)
        {
            SqliteConnection.ClearAllPools();
            _directory.Dispose();
        }
    }
}

internal sealed record Agent(SigningKey Key, JsonObject Passport, string PassportId);
