using AgentTrust.Audit;
using AgentTrust.Cryptography;
using AgentTrust.Errors;

namespace AgentTrust.Tests.Audit;

/// <summary>
/// Anchors count only when signed by a pinned key, and the Trust Authority's record of a log catches a cut tail even
/// after the local anchors were deleted or replaced (receipts.md §7.6).
/// </summary>
public sealed class AuditAnchorPinningTests
{
    private static async Task<(AuditFixture Fx, SigningKey Authority, AuditAnchor Anchor)> AnchoredLogAsync()
    {
        var fx = new AuditFixture();
        var authority = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        AuditAnchor anchor;
        await using (var log = await fx.OpenAsync())
        {
            await fx.AppendAsync(log, 5);
            anchor = await log.CheckpointAsync(authority, "ta");
            await fx.AppendAsync(log, 2, 5);
        }

        return (fx, authority, anchor);
    }

    private static async Task CutTailAndReplaceAnchorsAsync(AuditFixture fx, int keep, SigningKey? forger)
    {
        await File.WriteAllLinesAsync(fx.SingleFile, File.ReadAllLines(fx.SingleFile).Take(keep));
        Directory.Delete(Path.Combine(fx.Directory, AuditAnchor.FolderName), recursive: true);
        if (forger is not null)
        {
            await using var log = await fx.OpenAsync();
            await log.CheckpointAsync(forger, "ta");
        }
    }

    [Fact]
    public async Task A_cut_tail_with_re_signed_anchors_is_caught_by_the_pinned_key()
    {
        var (fx, authority, _) = await AnchoredLogAsync();
        using (fx)
        using (authority)
        using (var forger = SigningKey.Generate(SignatureAlgorithm.EdDSA))
        {
            await CutTailAndReplaceAnchorsAsync(fx, 3, forger);

            // The forged anchor verifies with the key it embeds; only a pinned key tells it apart.
            Assert.True((await fx.VerifyAsync(signatures: false)).Valid);
            var report = await fx.VerifyAsync(signatures: false, anchorKeys: [authority.PublicKey]);
            Assert.False(report.Valid);
            Assert.Equal(McpsCode.AuditChainBroken, report.FirstBreak!.Code);
            Assert.Equal("anchor_untrusted", report.FirstBreak.Reason);
        }
    }

    [Fact]
    public async Task The_authoritys_anchor_catches_a_tail_cut_below_it_after_the_local_anchors_were_deleted()
    {
        var (fx, authority, anchor) = await AnchoredLogAsync();
        using (fx)
        using (authority)
        {
            await CutTailAndReplaceAnchorsAsync(fx, 4, forger: null);
            Assert.True((await fx.VerifyAsync(signatures: false, anchorKeys: [authority.PublicKey])).Valid);

            var report = await fx.VerifyAsync(signatures: false, anchorKeys: [authority.PublicKey], authorityAnchors: [anchor]);
            Assert.False(report.Valid);
            Assert.Equal("tail_truncated", report.FirstBreak!.Reason);
            Assert.Equal(AuditVerifier.AuthoritySource, report.FirstBreak.File);
            Assert.Equal(anchor.RecordHash, report.FirstBreak.Expected);
            Assert.Equal(4, report.RecordCount);
        }
    }

    [Fact]
    public async Task An_authority_anchor_signed_by_an_unpinned_key_is_refused()
    {
        var (fx, authority, anchor) = await AnchoredLogAsync();
        using (fx)
        using (authority)
        using (var other = SigningKey.Generate(SignatureAlgorithm.EdDSA))
        {
            var none = await fx.VerifyAsync(signatures: false, authorityAnchors: [anchor]);
            Assert.Equal("anchor_untrusted", none.FirstBreak!.Reason);
            var wrong = await fx.VerifyAsync(signatures: false, anchorKeys: [other.PublicKey], authorityAnchors: [anchor]);
            Assert.Equal("anchor_untrusted", wrong.FirstBreak!.Reason);
            var right = await fx.VerifyAsync(signatures: false, anchorKeys: [authority.PublicKey], authorityAnchors: [anchor]);
            Assert.True(right.Valid, right.FirstBreak?.Reason);
            Assert.Equal(1, right.AnchorsChecked);
        }
    }

    [Fact]
    public async Task The_log_id_is_read_from_the_first_record()
    {
        var (fx, authority, anchor) = await AnchoredLogAsync();
        using (fx)
        using (authority)
        {
            Assert.Equal(anchor.LogId, AuditVerifier.ReadLogId(fx.Directory));
        }

        using var empty = new AuditFixture();
        Assert.Null(AuditVerifier.ReadLogId(empty.Directory));
    }
}
