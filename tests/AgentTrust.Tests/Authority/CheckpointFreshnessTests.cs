using System.Net;
using System.Text.Json.Nodes;
using AgentTrust.Audit;
using AgentTrust.Cryptography;
using AgentTrust.Errors;
using AgentTrust.Mcps;
using AgentTrust.TrustAuthority;

namespace AgentTrust.Tests.Authority;

/// <summary>
/// The authority's record of a log (<c>GET /v1/checkpoints/{logId}?nonce=</c>) is fresh: it echoes the client's nonce
/// inside its signature, so a man in the middle on plain http (or a cache) cannot replay an old answer showing a lower
/// head, which would hide a later anchor and so a cut tail.
/// </summary>
public sealed class CheckpointFreshnessTests : IAsyncLifetime, IDisposable
{
    private static readonly string LogId = "sha256:" + new string('a', 64);
    private readonly SigningKey _logKey = SigningKey.Generate(SignatureAlgorithm.EdDSA);
    private AuthorityTestHost _host = null!;
    private CheckpointReplayProxy _proxy = null!;

    public async Task InitializeAsync()
    {
        _host = await AuthorityTestHost.StartAsync();
        _proxy = await CheckpointReplayProxy.StartAsync(_host.Server.BaseAddress);
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _host.DisposeAsync();
    }

    public void Dispose() => _logKey.Dispose();

    private static string Hash(char c) => "sha256:" + new string(c, 64);

    private TrustAuthorityClientOptions Pinned => new() { AuthorityKey = _host.Keys.PassportKey.PublicKey, AnchorKey = _host.Keys.AnchorKey.PublicKey };

    /// <summary>A client that reaches the authority through the man in the middle.</summary>
    private TrustAuthorityClient ProxiedClient(HttpClient http) => new(http, Pinned, _host.Clock);

    private async Task<JsonObject> AnchorAsync(long count, char hash)
    {
        var anchored = await _host.Client().AnchorCheckpointAsync(LogId, count, Hash(hash), _logKey);
        Assert.True(anchored.IsSuccess, anchored.Reason);
        return anchored.Value!;
    }

    private static string? NonceOf(string query) => System.Web.HttpUtility.ParseQueryString(query)["nonce"];

    private static JsonObject Parse(byte[] json) => (JsonObject)JsonNode.Parse(json)!;

    private static byte[] Bytes(JsonNode json) => System.Text.Encoding.UTF8.GetBytes(json.ToJsonString());

    [Fact]
    public async Task The_authority_signs_an_answer_that_echoes_the_nonce_and_wraps_the_stored_anchor()
    {
        var anchor = await AnchorAsync(100, '1');
        var nonce = McpsIdentifiers.NewNonce();
        using var response = await _host.Http.GetAsync($"v1/checkpoints/{LogId}?nonce={nonce}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore);
        var answer = await AuthorityTestHost.ReadObjectAsync(response);
        Assert.Equal(AuthoritySignedDocument.CheckpointAnswerType, answer["type"]!.GetValue<string>());
        Assert.Equal(nonce, answer[CheckpointAnswer.RequestNonceMember]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(anchor, answer["anchor"]));

        var verified = CheckpointAnswer.Verify(answer, LogId, nonce, _host.Keys.AnchorKey.PublicKey);
        Assert.True(verified.IsSuccess, verified.Reason);
        Assert.True(JsonNode.DeepEquals(anchor, verified.Value));

        // Another request, another nonce: the same record, but an answer good for that request only.
        var other = McpsIdentifiers.NewNonce();
        using var second = await _host.Http.GetAsync($"v1/checkpoints/{LogId}?nonce={other}");
        var secondAnswer = await AuthorityTestHost.ReadObjectAsync(second);
        Assert.NotEqual(answer["sig"]!.GetValue<string>(), secondAnswer["sig"]!.GetValue<string>());
        Assert.Equal(CheckpointAnswer.NonceMismatch, CheckpointAnswer.Verify(secondAnswer, LogId, nonce, _host.Keys.AnchorKey.PublicKey).Reason);

        // Without a nonce (clients that predate the answer) the authority still returns the bare stored anchor.
        using var legacy = await _host.Http.GetAsync($"v1/checkpoints/{LogId}");
        Assert.Equal(HttpStatusCode.OK, legacy.StatusCode);
        Assert.True(JsonNode.DeepEquals(anchor, await AuthorityTestHost.ReadObjectAsync(legacy)));
    }

    [Theory]
    [InlineData("nonce=")]
    [InlineData("nonce=0123456789ABCDEF0123456789ABCDEF")]
    [InlineData("nonce=0123456789abcdef0123456789abcde")]
    [InlineData("nonce=0123456789abcdef0123456789abcdef0")]
    [InlineData("nonce=0123456789abcdef0123456789abcdeg")]
    [InlineData("nonce=AAECAwQFBgcICQoLDA0ODw")]
    [InlineData("nonce=%200123456789abcdef0123456789abcde")]
    [InlineData("nonce=0123456789abcdef0123456789abcdef&nonce=0123456789abcdef0123456789abcdef")]
    [InlineData("nonce")]
    public async Task A_malformed_nonce_is_refused_before_any_work(string query)
    {
        // An unknown log: the nonce is refused before the registry is asked (400, not 404).
        using (var unknown = await _host.Http.GetAsync($"v1/checkpoints/{Hash('e')}?{query}"))
        {
            await AuthorityTestHost.AssertProblemAsync(unknown, HttpStatusCode.BadRequest, "MCPS-023", "bad_nonce");
        }

        await AnchorAsync(100, '1');
        using var known = await _host.Http.GetAsync($"v1/checkpoints/{LogId}?{query}");
        await AuthorityTestHost.AssertProblemAsync(known, HttpStatusCode.BadRequest, "MCPS-023", "bad_nonce");
    }

    [Fact]
    public async Task A_replayed_old_answer_that_hides_a_later_anchor_is_refused()
    {
        await AnchorAsync(10, '1');
        using var http = _proxy.Client();
        var client = ProxiedClient(http);
        var first = await client.GetAnchorAsync(LogId);
        Assert.True(first.IsSuccess, first.Reason);
        Assert.Equal(10, first.Value!["record_count"]!.GetValue<long>());
        var captured = _proxy.LastAnswer!;

        // The authority anchors a higher head; the man in the middle keeps serving the answer that showed 10.
        await AnchorAsync(20, '2');
        _proxy.Rewrite = (_, _) => captured;
        var replayed = await client.GetAnchorAsync(LogId);
        Assert.False(replayed.IsSuccess);
        Assert.Null(replayed.Value);
        Assert.Equal(McpsCode.ReplayDetected, replayed.Code);
        Assert.Equal(CheckpointAnswer.NonceMismatch, replayed.Reason);

        // Relayed honestly, the client sees the later anchor.
        _proxy.Rewrite = null;
        var honest = await client.GetAnchorAsync(LogId);
        Assert.True(honest.IsSuccess, honest.Reason);
        Assert.Equal(20, honest.Value!["record_count"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_bare_anchor_served_instead_of_the_answer_is_refused()
    {
        // A validly signed anchor of a lower head (captured from an earlier POST answer, or from an older authority's GET).
        var old = await AnchorAsync(10, '1');
        await AnchorAsync(20, '2');
        using var http = _proxy.Client();
        _proxy.Rewrite = (_, _) => Bytes(old);
        var result = await ProxiedClient(http).GetAnchorAsync(LogId);
        Assert.False(result.IsSuccess);
        Assert.Equal(McpsCode.ReplayDetected, result.Code);
        Assert.Equal(CheckpointAnswer.NonceMissing, result.Reason);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_old_answer_whose_nonce_is_rewritten_to_the_new_request_is_refused(bool resignWithAnotherKey)
    {
        await AnchorAsync(10, '1');
        using var http = _proxy.Client();
        var client = ProxiedClient(http);
        Assert.True((await client.GetAnchorAsync(LogId)).IsSuccess);
        var captured = Parse(_proxy.LastAnswer!);

        // The client sent a nonce and the authority's answer echoed it inside the signed content.
        var sent = NonceOf(_proxy.LastQuery!);
        Assert.True(McpsIdentifiers.IsNonce(sent));
        Assert.Equal(sent, captured[CheckpointAnswer.RequestNonceMember]?.GetValue<string>());

        await AnchorAsync(20, '2');
        using var attacker = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        _proxy.Rewrite = (query, _) =>
        {
            var forged = (JsonObject)captured.DeepClone();
            if (resignWithAnotherKey)
            {
                return Bytes(CheckpointAnswer.Create(LogId, (JsonObject)captured["anchor"]!, NonceOf(query)!, attacker));
            }

            forged[CheckpointAnswer.RequestNonceMember] = NonceOf(query);
            return Bytes(forged);
        };
        var result = await client.GetAnchorAsync(LogId);
        Assert.False(result.IsSuccess);
        Assert.Equal(McpsCode.InvalidSignature, result.Code);
        Assert.Equal("signature_mismatch", result.Reason);
    }

    [Fact]
    public async Task An_answer_about_another_log_is_refused()
    {
        await AnchorAsync(10, '1');
        var otherLog = Hash('b');
        var other = await _host.Client().AnchorCheckpointAsync(otherLog, 5, Hash('5'), _logKey);
        Assert.True(other.IsSuccess, other.Reason);

        // The man in the middle answers with the authority's answer about another log, echoing this request's nonce.
        using var http = _proxy.Client();
        _proxy.Rewrite = (query, _) => Bytes(CheckpointAnswer.Create(otherLog, other.Value!, NonceOf(query)!, _host.Keys.AnchorKey));
        var result = await ProxiedClient(http).GetAnchorAsync(LogId);
        Assert.False(result.IsSuccess);
        Assert.Equal(McpsCode.AuditChainBroken, result.Code);
        Assert.Equal("anchor_mismatch", result.Reason);
    }

    [Fact]
    public async Task A_checkpoint_answer_and_an_audit_anchor_are_not_interchangeable()
    {
        var anchor = await AnchorAsync(10, '1');
        var key = _host.Keys.AnchorKey.PublicKey;
        var answer = CheckpointAnswer.Create(LogId, anchor, McpsIdentifiers.NewNonce(), _host.Keys.AnchorKey);
        Assert.True(AuthoritySignedDocument.VerifyEd25519(answer, key, AuthorityDocumentKind.CheckpointAnswer).IsValid);
        Assert.Equal("foreign_format", AuthoritySignedDocument.VerifyEd25519(answer, key).Reason);
        Assert.Null(AuditAnchor.TryParse(Bytes(answer), out _));
        Assert.Equal("foreign_format", AuthoritySignedDocument.VerifyEd25519(anchor, key, AuthorityDocumentKind.CheckpointAnswer).Reason);

        // An anchor dressed up as an answer (nonce added, type relabelled, signature kept) fails its signature.
        var dressed = (JsonObject)anchor.DeepClone();
        dressed["type"] = AuthoritySignedDocument.CheckpointAnswerType;
        Assert.Equal("signature_mismatch", AuthoritySignedDocument.VerifyEd25519(dressed, key, AuthorityDocumentKind.CheckpointAnswer).Reason);
    }

    [Fact]
    public async Task Asked_with_a_nonce_the_authority_signs_that_it_holds_no_anchor()
    {
        var nonce = McpsIdentifiers.NewNonce();
        using var response = await _host.Http.GetAsync($"v1/checkpoints/{LogId}?nonce={nonce}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await AuthorityTestHost.ReadObjectAsync(response);
        Assert.True(answer.ContainsKey("anchor"));
        Assert.Null(answer["anchor"]);
        var verified = CheckpointAnswer.Verify(answer, LogId, nonce, _host.Keys.AnchorKey.PublicKey);
        Assert.False(verified.IsSuccess);
        Assert.Equal(McpsCode.AuditChainBroken, verified.Code);
        Assert.Equal(CheckpointAnswer.UnknownLog, verified.Reason);
        Assert.Equal(404, verified.HttpStatus);

        // Through the client: the same verdict, from the signed answer.
        var result = await _host.Client().GetAnchorAsync(LogId);
        Assert.Equal(CheckpointAnswer.UnknownLog, result.Reason);
        Assert.Equal(404, result.HttpStatus);
    }

    [Fact]
    public async Task A_forged_404_cannot_claim_the_authority_holds_no_anchor()
    {
        await AnchorAsync(10, '1');
        using var http = _proxy.Client();
        _proxy.ForgeNotFound = true;
        var result = await ProxiedClient(http).GetAnchorAsync(LogId);
        Assert.False(result.IsSuccess);
        Assert.Equal(McpsCode.ReplayDetected, result.Code);
        Assert.Equal(CheckpointAnswer.NonceMissing, result.Reason);
    }
}
