using System.Text.Json.Nodes;
using AgentTrust.Audit;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Json;
using AgentTrust.TrustAuthority;

namespace AgentTrust.Tests.Audit;

/// <summary>
/// Anchors are signed and verified over the one Trust Authority preimage (AuthoritySignedDocument), so a forged or
/// relabelled anchor fails; local checkpoints and authority anchors of the same head keep separate files and both count.
/// </summary>
public sealed class AuditAnchorFormatTests
{
    private static readonly AuditHead Head = new("sha256:" + new string('a', 64), 7, "sha256:" + new string('b', 64));

    private static AuditAnchor? Parse(JsonObject json, out string? reason) =>
        AuditAnchor.TryParse(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()), out reason);

    [Fact]
    public void An_anchor_is_signed_over_the_shared_authority_preimage()
    {
        using var key = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        var json = JsonNode.Parse(AuditAnchor.Create(Head, key, "ta").ToJsonString())!.AsObject();
        Assert.True(AuthoritySignedDocument.VerifyEd25519(json, key.PublicKey).IsValid);

        Assert.True(StrictBase64.TryDecode(json["sig"]!.GetValue<string>()["ed25519:".Length..], 64, out var signature));
        Assert.Equal(SignatureStatus.Valid, key.PublicKey.Verify(AuthoritySignedDocument.BuildPreimage(json, "sig"), signature));
        Assert.NotNull(Parse(json, out _));
    }

    [Theory]
    [InlineData("record_count")]
    [InlineData("record_hash")]
    [InlineData("log_id")]
    [InlineData("authority")]
    public void An_anchor_with_a_changed_member_fails(string member)
    {
        using var key = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        var json = JsonNode.Parse(AuditAnchor.Create(Head, key, "ta").ToJsonString())!.AsObject();
        json[member] = member switch
        {
            "record_count" => 8,
            "authority" => new JsonObject { ["pubkey"] = json["authority"]!["pubkey"]!.GetValue<string>(), ["name"] = "other-ta" },
            _ => "sha256:" + new string('c', 64),
        };
        Assert.Null(Parse(json, out var reason));
        Assert.Equal("anchor_bad_signature", reason);
    }

    [Fact]
    public void A_document_of_another_kind_relabelled_as_an_anchor_fails()
    {
        // The same members and the same key, signed without the audit_anchor type (as another kind of document would be):
        // relabelling it as an anchor does not make the signature valid.
        using var key = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        var json = JsonNode.Parse(AuditAnchor.Create(Head, key, "ta").ToJsonString())!.AsObject();
        var unlabelled = (JsonObject)json.DeepClone();
        unlabelled.Remove("type");
        unlabelled.Remove("sig");
        json["sig"] = "ed25519:" + StrictBase64.Encode(key.Sign(JsonCanonicalizer.Canonicalize(unlabelled, CanonicalJsonOptions.Strict)));
        Assert.Null(Parse(json, out var reason));
        Assert.Equal("anchor_bad_signature", reason);

        // The log writer's checkpoint proof over the same head is no anchor either.
        var submitter = "ed25519:" + StrictBase64.Encode(key.PublicKey.RawPublicKey.Span);
        json["sig"] = "ed25519:" + StrictBase64.Encode(key.Sign(CheckpointProof.BuildPreimage(Head.LogId!, Head.RecordCount, Head.RecordHash, submitter)));
        Assert.Null(Parse(json, out reason));
        Assert.Equal("anchor_bad_signature", reason);

        // And a valid anchor relabelled to another type is refused.
        var relabelled = JsonNode.Parse(AuditAnchor.Create(Head, key, "ta").ToJsonString())!.AsObject();
        relabelled["type"] = AuthoritySignedDocument.StatusType;
        Assert.Null(Parse(relabelled, out _));
        Assert.False(AuthoritySignedDocument.VerifyEd25519(relabelled, key.PublicKey).IsValid);
    }

    [Fact]
    public async Task A_local_checkpoint_and_an_authority_anchor_of_the_same_head_keep_separate_files_and_both_are_verified()
    {
        using var fx = new AuditFixture();
        using var local = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        using var authority = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        await using (var log = await fx.OpenAsync())
        {
            await fx.AppendAsync(log, 4);
            await AuditAnchor.Create(log.Head, authority, "ta").WriteAsync(fx.Directory);
            await log.CheckpointAsync(local, "audit");
        }

        var folder = Path.Combine(fx.Directory, AuditAnchor.FolderName);
        Assert.True(File.Exists(Path.Combine(folder, AuditAnchor.FileName(4))));
        Assert.True(File.Exists(Path.Combine(folder, AuditAnchor.CheckpointFileName(4))));
        Assert.Equal(2, AuditAnchor.ReadAll(fx.Directory).Anchors.Count);
        Assert.True((await fx.VerifyAsync(signatures: false, anchorKeys: [local.PublicKey, authority.PublicKey])).Valid);

        // Each file is read: pinning only one key makes the other file's anchor a break that names it.
        var onlyAuthority = await fx.VerifyAsync(signatures: false, anchorKeys: [authority.PublicKey]);
        Assert.Equal("anchor_untrusted", onlyAuthority.FirstBreak!.Reason);
        Assert.Equal(Path.Combine(folder, AuditAnchor.CheckpointFileName(4)), onlyAuthority.FirstBreak.File);
        var onlyLocal = await fx.VerifyAsync(signatures: false, anchorKeys: [local.PublicKey]);
        Assert.Equal("anchor_untrusted", onlyLocal.FirstBreak!.Reason);
        Assert.Equal(Path.Combine(folder, AuditAnchor.FileName(4)), onlyLocal.FirstBreak.File);

        // A checkpoint renamed to another head's file is refused.
        File.Move(Path.Combine(folder, AuditAnchor.CheckpointFileName(4)), Path.Combine(folder, AuditAnchor.CheckpointFileName(3)));
        Assert.Equal("anchor_misnamed", (await fx.VerifyAsync(signatures: false)).FirstBreak!.Reason);
    }
}
