using AgentTrust.Authority.Storage;

namespace AgentTrust.Tests.Authority;

/// <summary>The one test suite every <see cref="IAuthorityRepository"/> must pass (SQLite and PostgreSQL).</summary>
public abstract class AuthorityRepositoryContract
{
    protected static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);

    /// <summary>A fresh, empty location (file path or connection string).</summary>
    protected abstract Task<string> CreateLocationAsync();

    /// <summary>Opens a repository on a location (a second call opens a second instance on the same data).</summary>
    protected abstract IAuthorityRepository Open(string location);

    private async Task<(IAuthorityRepository Repository, string Location)> FreshAsync()
    {
        var location = await CreateLocationAsync();
        var repository = Open(location);
        await repository.MigrateAsync(CancellationToken.None);
        return (repository, location);
    }

    protected static PassportRecord Passport(string id, int level = 1) =>
        new(id, "{\"passport_id\":\"" + id + "\"}", "thumb-" + id, level, T0, T0.AddDays(30), null, null);

    private static string Id(int n) => "asp_" + n.ToString("x32", System.Globalization.CultureInfo.InvariantCulture);

    private static CheckpointRecord Checkpoint(long count, char hash, string submitter = "ed25519:A") =>
        new("sha256:" + new string('1', 64), count, "sha256:" + new string(hash, 64), submitter, T0, "{\"record_count\":" + count + "}");

    [Fact]
    public async Task Migrations_are_idempotent()
    {
        var (repository, location) = await FreshAsync();
        await using (repository)
        {
            await repository.MigrateAsync(CancellationToken.None);
            await using var second = Open(location);
            await second.MigrateAsync(CancellationToken.None);
            await second.PingAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Passports_insert_once_and_read_back()
    {
        var (repository, _) = await FreshAsync();
        await using (repository)
        {
            Assert.True(await repository.InsertPassportAsync(Passport(Id(1)), CancellationToken.None));
            Assert.False(await repository.InsertPassportAsync(Passport(Id(1), level: 4), CancellationToken.None));
            var read = await repository.GetPassportAsync(Id(1), CancellationToken.None);
            Assert.NotNull(read);
            Assert.Equal(1, read!.TrustLevel);
            Assert.Equal(T0, read.IssuedAt);
            Assert.Equal(T0.AddDays(30), read.ExpiresAt);
            Assert.Null(read.RevokedAt);
            Assert.Null(await repository.GetPassportAsync(Id(2), CancellationToken.None));
        }
    }

    [Fact]
    public async Task Expired_challenges_are_purged()
    {
        var (repository, _) = await FreshAsync();
        await using (repository)
        {
            await repository.StoreChallengeAsync("c1", T0.AddMinutes(2), CancellationToken.None);
            await repository.StoreChallengeAsync("c2", T0.AddMinutes(2), CancellationToken.None);
            Assert.Equal(ChallengeOutcome.Consumed, await repository.RegisterAsync("c1", T0, Passport(Id(1)), CancellationToken.None));
            Assert.Equal(2, await repository.PurgeChallengesAsync(T0.AddMinutes(3), CancellationToken.None));
            Assert.Equal(ChallengeOutcome.Unknown, await repository.PeekChallengeAsync("c1", T0, CancellationToken.None));
        }
    }

    [Fact]
    public async Task Registration_uses_the_challenge_only_when_the_passport_is_stored()
    {
        var (repository, location) = await FreshAsync();
        await using (repository)
        {
            await repository.StoreChallengeAsync("c1", T0.AddMinutes(2), CancellationToken.None);
            await repository.StoreChallengeAsync("c2", T0.AddMinutes(2), CancellationToken.None);
            await repository.InsertPassportAsync(Passport(Id(1)), CancellationToken.None);
            Assert.Equal(ChallengeOutcome.Fresh, await repository.PeekChallengeAsync("c1", T0, CancellationToken.None));
            Assert.Equal(ChallengeOutcome.AlreadyRegistered, await repository.RegisterAsync("c1", T0, Passport(Id(1)), CancellationToken.None));
            Assert.Equal(ChallengeOutcome.Fresh, await repository.PeekChallengeAsync("c1", T0, CancellationToken.None));
            Assert.Equal(ChallengeOutcome.Consumed, await repository.RegisterAsync("c1", T0, Passport(Id(2)), CancellationToken.None));
            Assert.Equal(ChallengeOutcome.AlreadyUsed, await repository.PeekChallengeAsync("c1", T0, CancellationToken.None));
            Assert.Equal(ChallengeOutcome.AlreadyUsed, await repository.RegisterAsync("c1", T0, Passport(Id(3)), CancellationToken.None));
            Assert.Equal(ChallengeOutcome.Expired, await repository.RegisterAsync("c2", T0.AddMinutes(2), Passport(Id(4)), CancellationToken.None));
            Assert.Equal(ChallengeOutcome.Unknown, await repository.RegisterAsync("c9", T0, Passport(Id(5)), CancellationToken.None));
            Assert.Null(await repository.GetPassportAsync(Id(3), CancellationToken.None));
            Assert.Null(await repository.GetPassportAsync(Id(4), CancellationToken.None));

            // Concurrently, from two connections: one challenge registers exactly one passport.
            await repository.StoreChallengeAsync("race", T0.AddMinutes(2), CancellationToken.None);
            await using var other = Open(location);
            var outcomes = await Task.WhenAll(Enumerable.Range(10, 12).Select(i =>
                (i % 2 == 0 ? repository : other).RegisterAsync("race", T0, Passport(Id(i)), CancellationToken.None)));
            Assert.Equal(1, outcomes.Count(o => o == ChallengeOutcome.Consumed));
            Assert.Equal(11, outcomes.Count(o => o == ChallengeOutcome.AlreadyUsed));
        }
    }

    [Fact]
    public async Task Revocation_is_recorded_once_and_listed_in_order()
    {
        var (repository, _) = await FreshAsync();
        await using (repository)
        {
            Assert.Equal(0, (await repository.GetRevocationsAsync(CancellationToken.None)).Version);
            foreach (var n in new[] { 1, 2, 3 })
            {
                await repository.InsertPassportAsync(Passport(Id(n)), CancellationToken.None);
            }

            Assert.Equal(RevocationOutcome.Revoked, await repository.RevokeAsync(Id(3), "key leaked", "admin:a", T0, CancellationToken.None));
            Assert.Equal(RevocationOutcome.Revoked, await repository.RevokeAsync(Id(1), "retired", "admin:b", T0.AddSeconds(1), CancellationToken.None));
            Assert.Equal(RevocationOutcome.AlreadyRevoked, await repository.RevokeAsync(Id(3), "again", "admin:a", T0, CancellationToken.None));
            Assert.Equal(RevocationOutcome.NotFound, await repository.RevokeAsync(Id(9), "x", "admin:a", T0, CancellationToken.None));

            var list = await repository.GetRevocationsAsync(CancellationToken.None);
            Assert.Equal(2, list.Version);
            Assert.Equal([Id(3), Id(1)], list.Entries.Select(e => e.PassportId));
            Assert.Equal("key leaked", list.Entries[0].Reason);
            var revoked = await repository.GetPassportAsync(Id(3), CancellationToken.None);
            Assert.Equal(T0, revoked!.RevokedAt);
            Assert.Equal("key leaked", revoked.RevocationReason);
            var history = await repository.GetTrustLevelHistoryAsync(Id(3), CancellationToken.None);
            Assert.Equal("admin:a", Assert.Single(history).Actor);
        }
    }

    private static string Reissued(string stored) => stored + " reissued";

    [Fact]
    public async Task Trust_level_changes_are_recorded_with_who_and_why()
    {
        var (repository, _) = await FreshAsync();
        await using (repository)
        {
            await repository.InsertPassportAsync(Passport(Id(1)), CancellationToken.None);
            var first = await repository.SetTrustLevelAsync(Id(1), 3, "scanned", "admin:ops", T0, Reissued, CancellationToken.None);
            Assert.Equal(new TrustLevelOutcome(TrustLevelOutcomeKind.Changed, 1), first);
            var second = await repository.SetTrustLevelAsync(Id(1), 2, "incident 42", "admin:sec", T0.AddHours(1), Reissued, CancellationToken.None);
            Assert.Equal(new TrustLevelOutcome(TrustLevelOutcomeKind.Changed, 3), second);
            var stored = (await repository.GetPassportAsync(Id(1), CancellationToken.None))!;
            Assert.Equal(2, stored.TrustLevel);
            Assert.EndsWith(" reissued reissued", stored.PassportJson, StringComparison.Ordinal);   // both changes replaced the passport

            var history = await repository.GetTrustLevelHistoryAsync(Id(1), CancellationToken.None);
            Assert.Equal(2, history.Count);
            Assert.Equal(new TrustLevelChange(Id(1), 1, 3, "scanned", "admin:ops", T0), history[0]);
            Assert.Equal(new TrustLevelChange(Id(1), 3, 2, "incident 42", "admin:sec", T0.AddHours(1)), history[1]);

            Assert.Equal(TrustLevelOutcomeKind.NotFound, (await repository.SetTrustLevelAsync(Id(2), 1, "x", "a", T0, Reissued, CancellationToken.None)).Kind);
            await repository.RevokeAsync(Id(1), "gone", "admin:sec", T0, CancellationToken.None);
            Assert.Equal(TrustLevelOutcomeKind.Revoked, (await repository.SetTrustLevelAsync(Id(1), 4, "x", "a", T0, Reissued, CancellationToken.None)).Kind);
            Assert.Equal(2, (await repository.GetPassportAsync(Id(1), CancellationToken.None))!.TrustLevel);
        }
    }

    [Fact]
    public async Task Admin_tokens_are_stored_as_given_hashes()
    {
        var (repository, _) = await FreshAsync();
        await using (repository)
        {
            var hash = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
            await repository.AddAdminTokenAsync(hash, "ops", T0, CancellationToken.None);
            var tokens = await repository.GetAdminTokensAsync(CancellationToken.None);
            var token = Assert.Single(tokens);
            Assert.Equal(hash, token.TokenHash);
            Assert.Equal("ops", token.Label);
        }
    }

    [Fact]
    public async Task Checkpoints_keep_the_highest_head_and_refuse_lower_conflicting_or_foreign()
    {
        var (repository, _) = await FreshAsync();
        await using (repository)
        {
            Assert.Equal(CheckpointOutcomeKind.Accepted, (await repository.RecordCheckpointAsync(Checkpoint(100, 'a'), CancellationToken.None)).Kind);
            Assert.Equal(CheckpointOutcomeKind.Unchanged, (await repository.RecordCheckpointAsync(Checkpoint(100, 'a'), CancellationToken.None)).Kind);
            Assert.Equal(CheckpointOutcomeKind.Conflict, (await repository.RecordCheckpointAsync(Checkpoint(100, 'b'), CancellationToken.None)).Kind);
            Assert.Equal(CheckpointOutcomeKind.Accepted, (await repository.RecordCheckpointAsync(Checkpoint(200, 'c'), CancellationToken.None)).Kind);
            var lower = await repository.RecordCheckpointAsync(Checkpoint(150, 'd'), CancellationToken.None);
            Assert.Equal(CheckpointOutcomeKind.Lower, lower.Kind);
            Assert.Equal(200, lower.Current!.RecordCount);
            Assert.Equal(CheckpointOutcomeKind.WrongSubmitter, (await repository.RecordCheckpointAsync(Checkpoint(300, 'e', "ed25519:B"), CancellationToken.None)).Kind);
            var head = await repository.GetCheckpointAsync(Checkpoint(1, 'x').LogId, CancellationToken.None);
            Assert.Equal(200, head!.RecordCount);
            Assert.Equal("sha256:" + new string('c', 64), head.RecordHash);
            Assert.Equal("{\"record_count\":200}", head.AnchorJson);
            Assert.Null(await repository.GetCheckpointAsync("sha256:" + new string('9', 64), CancellationToken.None));
        }
    }

    [Fact]
    public async Task Concurrent_checkpoints_of_one_log_never_move_the_head_backwards()
    {
        var (repository, location) = await FreshAsync();
        await using (repository)
        {
            await using var other = Open(location);
            var counts = Enumerable.Range(1, 20).Select(i => (long)i).OrderBy(_ => Random.Shared.Next()).ToArray();
            await Task.WhenAll(counts.Select((c, i) => (i % 2 == 0 ? repository : other).RecordCheckpointAsync(Checkpoint(c, (char)('a' + (c % 6))), CancellationToken.None)));
            var head = await repository.GetCheckpointAsync(Checkpoint(1, 'x').LogId, CancellationToken.None);
            Assert.Equal(20, head!.RecordCount);
        }
    }

    [Fact]
    public async Task Acknowledged_writes_survive_reopening()
    {
        var (repository, location) = await FreshAsync();
        await repository.InsertPassportAsync(Passport(Id(7)), CancellationToken.None);
        await repository.RevokeAsync(Id(7), "test", "admin:t", T0, CancellationToken.None);
        await repository.DisposeAsync();

        await using var reopened = Open(location);
        await reopened.MigrateAsync(CancellationToken.None);
        var read = await reopened.GetPassportAsync(Id(7), CancellationToken.None);
        Assert.NotNull(read!.RevokedAt);
    }
}
