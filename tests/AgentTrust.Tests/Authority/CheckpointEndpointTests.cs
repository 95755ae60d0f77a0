using System.Net;
using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.TrustAuthority;

namespace AgentTrust.Tests.Authority;

/// <summary>POST /v1/checkpoints and GET /v1/checkpoints/{logId}: audit anchors (receipts.md §7.6) over real HTTP.</summary>
public sealed class CheckpointEndpointTests : IAsyncLifetime, IDisposable
{
    private static readonly string LogId = "sha256:" + new string('a', 64);
    private readonly SigningKey _logKey = SigningKey.Generate(SignatureAlgorithm.EdDSA);
    private AuthorityTestHost _host = null!;

    public async Task InitializeAsync() => _host = await AuthorityTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public void Dispose() => _logKey.Dispose();

    private static string Hash(char c) => "sha256:" + new string(c, 64);

    private static JsonObject Body(long count, string hash, SigningKey key, string? logId = null)
    {
        var submitter = AuthoritySignedDocument.Ed25519Prefix + StrictBase64.Encode(key.PublicKey.RawPublicKey.Span);
        var id = logId ?? LogId;
        return new JsonObject
        {
            ["log_id"] = id,
            ["record_count"] = count,
            ["record_hash"] = hash,
            ["submitter"] = submitter,
            ["sig"] = AuthoritySignedDocument.Ed25519Prefix + StrictBase64.Encode(key.Sign(CheckpointProof.BuildPreimage(id, count, hash, submitter))),
        };
    }

    [Fact]
    public async Task A_checkpoint_is_countersigned_as_an_Ed25519_audit_anchor()
    {
        using var response = await _host.PostJsonAsync("v1/checkpoints", Body(100, Hash('1'), _logKey));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var anchor = await AuthorityTestHost.ReadObjectAsync(response);
        Assert.Equal(1, anchor["v"]!.GetValue<int>());
        Assert.Equal("audit_anchor", anchor["type"]!.GetValue<string>());
        Assert.Equal(LogId, anchor["log_id"]!.GetValue<string>());
        Assert.Equal(100, anchor["record_count"]!.GetValue<long>());
        Assert.Equal(Hash('1'), anchor["record_hash"]!.GetValue<string>());
        Assert.Equal(_host.Keys.AnchorPublicKeyText, anchor["authority"]!["pubkey"]!.GetValue<string>());
        Assert.Matches("^rnd_[0-9a-f]{32}$", anchor["nonce"]!.GetValue<string>());
        Assert.True(AuthoritySignedDocument.VerifyEd25519(anchor, _host.Keys.AnchorKey.PublicKey).IsValid);
        var parsed = AgentTrust.Audit.AuditAnchor.TryParse(System.Text.Encoding.UTF8.GetBytes(anchor.ToJsonString()), out var reason);
        Assert.True(parsed is not null, reason);
        Assert.Equal(_host.Keys.AnchorPublicKeyText, parsed!.AuthorityPublicKey);

        anchor["record_count"] = 1000;
        Assert.Equal("signature_mismatch", AuthoritySignedDocument.VerifyEd25519(anchor, _host.Keys.AnchorKey.PublicKey).Reason);
    }

    [Fact]
    public async Task The_authority_keeps_the_highest_head_and_refuses_lower_and_forked_heads()
    {
        using (var first = await _host.PostJsonAsync("v1/checkpoints", Body(100, Hash('1'), _logKey)))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }

        using (var same = await _host.PostJsonAsync("v1/checkpoints", Body(100, Hash('1'), _logKey)))
        {
            Assert.Equal(HttpStatusCode.OK, same.StatusCode);
        }

        using (var fork = await _host.PostJsonAsync("v1/checkpoints", Body(100, Hash('2'), _logKey)))
        {
            await AuthorityTestHost.AssertProblemAsync(fork, HttpStatusCode.Conflict, "MCPS-023", "fork");
        }

        using (var higher = await _host.PostJsonAsync("v1/checkpoints", Body(200, Hash('3'), _logKey)))
        {
            Assert.Equal(HttpStatusCode.Created, higher.StatusCode);
        }

        using (var lower = await _host.PostJsonAsync("v1/checkpoints", Body(150, Hash('4'), _logKey)))
        {
            await AuthorityTestHost.AssertProblemAsync(lower, HttpStatusCode.Conflict, "MCPS-023", "stale_checkpoint");
        }

        using var head = await _host.Http.GetAsync($"v1/checkpoints/{LogId}");
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        var anchor = await AuthorityTestHost.ReadObjectAsync(head);
        Assert.Equal(200, anchor["record_count"]!.GetValue<long>());
        Assert.True(AuthoritySignedDocument.VerifyEd25519(anchor, _host.Keys.AnchorKey.PublicKey).IsValid);
    }

    [Fact]
    public async Task Another_key_cannot_move_a_log_that_is_bound_to_its_first_submitter()
    {
        using (var first = await _host.PostJsonAsync("v1/checkpoints", Body(10, Hash('1'), _logKey)))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }

        using var attacker = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        using var response = await _host.PostJsonAsync("v1/checkpoints", Body(1_000_000, Hash('f'), attacker));
        await AuthorityTestHost.AssertProblemAsync(response, HttpStatusCode.Forbidden, "MCPS-004", "wrong_submitter");
    }

    [Fact]
    public async Task A_checkpoint_whose_signature_fails_is_refused()
    {
        var body = Body(10, Hash('1'), _logKey);
        body["record_count"] = 11;
        using var response = await _host.PostJsonAsync("v1/checkpoints", body);
        await AuthorityTestHost.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "MCPS-004", "signature_mismatch");
    }

    [Theory]
    [InlineData("log_id", "\"sha256:ABC\"", "MCPS-023", "bad_field")]
    [InlineData("record_hash", "\"deadbeef\"", "MCPS-023", "bad_field")]
    [InlineData("record_count", "0", "MCPS-023", "bad_field")]
    [InlineData("record_count", "\"5\"", "MCPS-023", "bad_field")]
    [InlineData("submitter", "\"ed25519:AAAA\"", "MCPS-004", "bad_signature_encoding")]
    [InlineData("sig", "\"ed25519:not-base64\"", "MCPS-004", "bad_signature_encoding")]
    public async Task Malformed_checkpoints_are_problems(string member, string json, string code, string reason)
    {
        var body = Body(10, Hash('1'), _logKey);
        body[member] = JsonNode.Parse(json);
        using var response = await _host.PostJsonAsync("v1/checkpoints", body);
        await AuthorityTestHost.AssertProblemAsync(response, HttpStatusCode.BadRequest, code, reason);
    }

    [Fact]
    public async Task Unknown_and_malformed_log_ids_are_problems()
    {
        using (var unknown = await _host.Http.GetAsync($"v1/checkpoints/{Hash('e')}"))
        {
            await AuthorityTestHost.AssertProblemAsync(unknown, HttpStatusCode.NotFound, "MCPS-023", "unknown_log");
        }

        using var malformed = await _host.Http.GetAsync("v1/checkpoints/nope");
        await AuthorityTestHost.AssertProblemAsync(malformed, HttpStatusCode.BadRequest, "MCPS-023", "bad_field");
    }

    [Fact]
    public async Task The_client_anchors_and_verifies_with_the_key_from_the_JWKS()
    {
        var client = _host.Client(new TrustAuthorityClientOptions());
        var result = await client.AnchorCheckpointAsync(LogId, 42, Hash('9'), _logKey);
        Assert.True(result.IsSuccess, result.Reason);
        Assert.Equal(42, result.Value!["record_count"]!.GetValue<long>());
        var lower = await client.AnchorCheckpointAsync(LogId, 41, Hash('8'), _logKey);
        Assert.Equal(AgentTrust.Errors.McpsCode.AuditChainBroken, lower.Code);
        Assert.Equal("stale_checkpoint", lower.Reason);
    }
}
