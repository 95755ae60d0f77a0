using System.Net;
using System.Text.Json.Nodes;
using AgentTrust.Errors;
using AgentTrust.Mcps;
using AgentTrust.TrustAuthority;

namespace AgentTrust.Tests.Authority;

/// <summary>
/// Domain separation of Trust Authority documents: every kind carries its <c>type</c> inside the signed content, and a
/// document signed as one kind is refused as any other, even when it has every member the other kind needs.
/// </summary>
public sealed class DocumentTypeTests : IAsyncLifetime
{
    private AuthorityTestHost _host = null!;

    public async Task InitializeAsync() => _host = await AuthorityTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<JsonObject> GetAsync(string path)
    {
        using var response = await _host.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await AuthorityTestHost.ReadObjectAsync(response);
    }

    [Fact]
    public async Task Every_document_the_authority_signs_names_its_kind_and_verifies_only_as_that_kind()
    {
        var agent = _host.NewAgent();
        var passport = await _host.RegisterAsync(agent);
        var documents = new Dictionary<AuthorityDocumentKind, JsonObject>
        {
            [AuthorityDocumentKind.Passport] = passport,
            [AuthorityDocumentKind.Status] = await GetAsync($"v1/passports/{agent.PassportId}/status"),
            [AuthorityDocumentKind.Staple] = await GetAsync($"v1/passports/{agent.PassportId}/staple"),
            [AuthorityDocumentKind.RevocationList] = await GetAsync("v1/revocations"),
        };
        var key = _host.Keys.PassportKey.PublicKey;
        foreach (var (kind, document) in documents)
        {
            Assert.Equal(AuthoritySignedDocument.TypeOf(kind), document["type"]?.GetValue<string>());
            foreach (var expected in documents.Keys)
            {
                var check = AuthoritySignedDocument.VerifyEs256(document, key, expected);
                Assert.Equal(expected == kind, check.IsValid);
                if (expected != kind)
                {
                    Assert.Equal(McpsCode.InvalidSignature, check.Code);
                    Assert.Equal("foreign_format", check.Reason);
                }
            }
        }
    }

    [Fact]
    public void A_status_with_every_member_of_a_staple_is_not_accepted_as_a_staple()
    {
        // A validly signed status document that also carries valid_from: structurally a staple. Only its type tells.
        var now = _host.Clock.GetUtcNow();
        var status = new JsonObject
        {
            ["passport_id"] = "asp_" + new string('a', 32),
            ["status"] = "active",
            ["checked_at"] = McpsTimestamp.Format(now),
            ["valid_from"] = McpsTimestamp.Format(now),
            ["valid_until"] = McpsTimestamp.Format(now.AddMinutes(5)),
        };
        AuthoritySignedDocument.SignEs256(status, _host.Keys.PassportKey, AuthorityDocumentKind.Status);
        var key = _host.Keys.PassportKey.PublicKey;
        Assert.True(AuthoritySignedDocument.VerifyEs256(status, key, AuthorityDocumentKind.Status).IsValid);

        var asStaple = TrustAuthorityClient.CheckStaple(status, key, "asp_" + new string('a', 32), now);
        Assert.False(asStaple.IsValid);
        Assert.Equal("foreign_format", asStaple.Reason);

        // Relabelling breaks the signature: the type is inside the signed content.
        var relabelled = (JsonObject)status.DeepClone();
        relabelled["type"] = AuthoritySignedDocument.StapleType;
        Assert.Equal("signature_mismatch", TrustAuthorityClient.CheckStaple(relabelled, key, "asp_" + new string('a', 32), now).Reason);

        // Without a type it is not a staple either (a document verified as a staple must say so).
        var untyped = (JsonObject)status.DeepClone();
        untyped.Remove("type");
        Assert.Equal("foreign_format", TrustAuthorityClient.CheckStaple(untyped, key, "asp_" + new string('a', 32), now).Reason);
    }
}
