using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Errors;
using AgentTrust.Mcps.Passports;
using AgentTrust.TrustAuthority;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Authority;

/// <summary><see cref="TrustAuthorityClient"/> against a real server: verification, cache, and the three failure policies.</summary>
public sealed class TrustAuthorityClientTests : IAsyncLifetime
{
    private AuthorityTestHost _host = null!;

    public async Task InitializeAsync() => _host = await AuthorityTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private TrustAuthorityClientOptions Pinned(AuthorityFailurePolicy policy = AuthorityFailurePolicy.FailClosed) => new()
    {
        AuthorityKey = _host.Keys.PassportKey.PublicKey,
        AnchorKey = _host.Keys.AnchorKey.PublicKey,
        FailurePolicy = policy,
        StatusCacheDuration = TimeSpan.FromSeconds(30),
        MaxCachedAge = TimeSpan.FromMinutes(10),
    };

    private static Uri ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/");
    }

    [Fact]
    public async Task Register_resolve_status_and_staple_through_the_client()
    {
        var client = _host.Client();
        var agent = _host.NewAgent();
        var registered = await client.RegisterAsync(agent.Passport, agent.Key);
        Assert.True(registered.IsSuccess, registered.Reason);

        var resolved = await client.ResolvePassportAsync(agent.PassportId);
        Assert.True(resolved.IsSuccess, resolved.Reason);
        Assert.Equal("test-ta", resolved.Value!["issuer"]!.GetValue<string>());

        var status = await client.GetStatusAsync(agent.PassportId);
        Assert.True(status.IsAvailable);
        Assert.Equal(PassportStatusKind.Active, status.Status);
        Assert.Equal(1, status.TrustLevel);
        Assert.False(status.FromCache);

        var staple = await client.GetStapleAsync(agent.PassportId);
        Assert.True(staple.IsSuccess, staple.Reason);

        IPassportStatusProvider provider = client;
        Assert.Equal(new PassportStatus(PassportStatusKind.Active, 1), await provider.GetStatusAsync(agent.PassportId, CancellationToken.None));
        IPassportResolver resolver = client;
        var bytes = await resolver.ResolveAsync(agent.PassportId, CancellationToken.None);
        Assert.True(AgentPassport.TryParse(bytes!.Value.Span, out var parsed, out _));
        Assert.Equal(agent.PassportId, parsed!.PassportId);
        Assert.Null(await resolver.ResolveAsync("asp_" + new string('f', 32), CancellationToken.None));
    }

    [Fact]
    public async Task Answers_signed_by_another_key_are_refused()
    {
        var agent = _host.NewAgent();
        await _host.RegisterAsync(agent);
        using var impostor = SigningKey.Generate(SignatureAlgorithm.ES256);
        var client = _host.Client(new TrustAuthorityClientOptions { AuthorityKey = impostor.PublicKey, AnchorKey = _host.Keys.AnchorKey.PublicKey });
        var status = await client.GetStatusAsync(agent.PassportId);
        Assert.False(status.IsAvailable);
        Assert.Equal(McpsCode.InvalidSignature, status.Code);
        Assert.False((await client.ResolvePassportAsync(agent.PassportId)).IsSuccess);
        Assert.False((await client.GetStapleAsync(agent.PassportId)).IsSuccess);
        Assert.False((await client.SyncRevocationsAsync()).IsSuccess);
    }

    [Fact]
    public async Task Status_is_served_from_the_cache_until_it_ages()
    {
        var agent = _host.NewAgent();
        await _host.RegisterAsync(agent);
        var clientClock = new ManualTimeProvider(_host.Clock.GetUtcNow());
        var client = _host.Client(Pinned(), clientClock);
        Assert.False((await client.GetStatusAsync(agent.PassportId)).FromCache);
        Assert.True((await client.GetStatusAsync(agent.PassportId)).FromCache);
        clientClock.Advance(TimeSpan.FromSeconds(30));
        Assert.False((await client.GetStatusAsync(agent.PassportId)).FromCache);
    }

    [Fact]
    public async Task Fail_closed_reports_MCPS_007_when_the_authority_is_unreachable()
    {
        using var http = new HttpClient { BaseAddress = ClosedPort() };
        var client = new TrustAuthorityClient(http, Pinned(AuthorityFailurePolicy.FailClosed), _host.Clock);
        var status = await client.GetStatusAsync("asp_" + new string('1', 32));
        Assert.False(status.IsAvailable);
        Assert.Equal(McpsCode.AuthorityUnreachable, status.Code);
        Assert.Equal("status_unavailable", status.Reason);
        IPassportResolver resolver = client;
        await Assert.ThrowsAsync<PassportResolutionException>(async () => await resolver.ResolveAsync("asp_" + new string('1', 32), CancellationToken.None));
    }

    [Fact]
    public async Task Fail_open_cached_uses_a_bounded_age_cache_when_the_authority_goes_down()
    {
        var agent = _host.NewAgent();
        await _host.RegisterAsync(agent);
        var clientClock = new ManualTimeProvider(_host.Clock.GetUtcNow());
        using var http = new HttpClient { BaseAddress = _host.Server.BaseAddress };
        var client = new TrustAuthorityClient(http, Pinned(AuthorityFailurePolicy.FailOpenCached), clientClock);
        Assert.True((await client.GetStatusAsync(agent.PassportId)).IsAvailable);

        await _host.Server.DisposeAsync();
        clientClock.Advance(TimeSpan.FromMinutes(5));
        var cached = await client.GetStatusAsync(agent.PassportId);
        Assert.True(cached.IsAvailable);
        Assert.True(cached.FromCache);
        Assert.Equal(PassportStatusKind.Active, cached.Status);

        clientClock.Advance(TimeSpan.FromMinutes(5).Add(TimeSpan.FromMilliseconds(1)));
        var tooOld = await client.GetStatusAsync(agent.PassportId);
        Assert.False(tooOld.IsAvailable);
        Assert.Equal(McpsCode.AuthorityUnreachable, tooOld.Code);

        var uncached = await client.GetStatusAsync("asp_" + new string('2', 32));
        Assert.Equal(McpsCode.AuthorityUnreachable, uncached.Code);
    }

    [Fact]
    public async Task Fail_open_answers_without_status_and_says_so()
    {
        using var http = new HttpClient { BaseAddress = ClosedPort() };
        var client = new TrustAuthorityClient(http, Pinned(AuthorityFailurePolicy.FailOpen), _host.Clock);
        var status = await client.GetStatusAsync("asp_" + new string('3', 32));
        Assert.True(status.IsAvailable);
        Assert.True(status.FailedOpen);
        Assert.Equal(PassportStatusKind.Unknown, status.Status);
        Assert.Null(status.TrustLevel);
        IPassportStatusProvider provider = client;
        Assert.Null(await provider.GetStatusAsync("asp_" + new string('3', 32), CancellationToken.None));
    }

    [Fact]
    public async Task Admin_calls_carry_the_token_and_report_refusals_by_code()
    {
        var agent = _host.NewAgent();
        await _host.RegisterAsync(agent);
        var client = _host.Client();
        var refused = await client.SetTrustLevelAsync(agent.PassportId, 3, "scan", "atadm_wrong");
        Assert.Equal(McpsCode.InsufficientTrust, refused.Code);
        Assert.Equal(401, refused.HttpStatus);

        var raised = await client.SetTrustLevelAsync(agent.PassportId, 3, "scan", _host.AdminToken);
        Assert.True(raised.IsSuccess, raised.Reason);
        Assert.Equal(3, (await client.GetStatusAsync(agent.PassportId)).TrustLevel);

        var revoked = await client.RevokeAsync(agent.PassportId, "done", _host.AdminToken);
        Assert.Equal("REVOKED", revoked.Value!["status"]!.GetValue<string>());
        Assert.Equal(PassportStatusKind.Revoked, (await client.GetStatusAsync(agent.PassportId)).Status);
        var staple = await client.GetStapleAsync(agent.PassportId);
        Assert.Equal(McpsCode.PassportRevoked, staple.Code);
    }

    [Fact]
    public async Task Without_a_pinned_key_the_client_takes_the_authority_key_from_the_JWKS()
    {
        var agent = _host.NewAgent();
        await _host.RegisterAsync(agent);
        var client = _host.Client(new TrustAuthorityClientOptions());
        Assert.True((await client.GetStatusAsync(agent.PassportId)).IsAvailable);
        Assert.Equal(_host.Keys.PassportKey.PublicKey, client.AuthorityKey);
    }
    /// <summary>A Trust Authority that answers every registration and lookup with one fixed (validly signed) passport.</summary>
    private sealed class SwappingAuthority(JsonObject passport) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            JsonNode body = path switch
            {
                "/v1/challenges" => new JsonObject { ["challenge"] = AgentTrust.Encoding.StrictBase64.EncodeUrl(new byte[32]) },
                "/v1/agents" => new JsonObject { ["passport"] = passport.DeepClone() },
                _ => passport.DeepClone(),
            };
            var status = request.Method == HttpMethod.Post ? HttpStatusCode.Created : HttpStatusCode.OK;
            return Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json") });
        }
    }

    [Fact]
    public async Task A_validly_signed_passport_of_another_agent_is_refused()
    {
        var other = await _host.RegisterAsync(_host.NewAgent("mallory"));
        var victim = _host.NewAgent("alice");
        using var http = new HttpClient(new SwappingAuthority(other)) { BaseAddress = new Uri("http://ta.invalid/") };
        var client = new TrustAuthorityClient(http, Pinned(), _host.Clock);

        var registered = await client.RegisterAsync(victim.Passport, victim.Key);
        Assert.False(registered.IsSuccess);
        Assert.Equal(McpsCode.InvalidPassport, registered.Code);
        Assert.Equal(TrustAuthorityClient.PassportMismatch, registered.Reason);

        var resolved = await client.ResolvePassportAsync(victim.PassportId);
        Assert.False(resolved.IsSuccess);
        Assert.Equal(TrustAuthorityClient.PassportMismatch, resolved.Reason);

        // The same answer for the passport it really is passes: the signature was never the problem.
        Assert.True((await client.ResolvePassportAsync(other["passport_id"]!.GetValue<string>())).IsSuccess);
    }
    [Theory]
    [InlineData("public_key")]
    [InlineData("agent")]
    public async Task A_validly_signed_passport_with_the_requested_id_but_another_key_or_agent_is_refused(string member)
    {
        var victim = _host.NewAgent("alice");
        var attacker = _host.NewAgent("mallory");
        var forged = (JsonObject)victim.Passport.DeepClone();
        forged.Remove("signature");
        forged[member] = attacker.Passport[member]!.DeepClone();
        forged["issuer"] = _host.Options.Name;
        var signed = AgentTrust.Mcps.Passports.PassportIssuer.SignObject(forged, _host.Keys.PassportKey).ToJsonObject();
        using var http = new HttpClient(new SwappingAuthority(signed)) { BaseAddress = new Uri("http://ta.invalid/") };
        var client = new TrustAuthorityClient(http, Pinned(), _host.Clock);

        var registered = await client.RegisterAsync(victim.Passport, victim.Key);
        Assert.False(registered.IsSuccess);
        Assert.Equal(McpsCode.InvalidPassport, registered.Code);
        Assert.Equal(TrustAuthorityClient.PassportMismatch, registered.Reason);
    }
}
