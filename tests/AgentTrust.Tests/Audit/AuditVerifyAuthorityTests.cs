using System.Text.Json.Nodes;
using AgentTrust.Tests.Authority;

namespace AgentTrust.Tests.Audit;

/// <summary>
/// <c>audit verify --authority URL</c> must not pass when the authority vouches for nothing: an emptied log directory or
/// a brand-new log (what an attacker who deleted or rewrote the log leaves behind) fails unless explicitly accepted.
/// </summary>
public sealed class AuditVerifyAuthorityTests() : AuthorityCliTest("agenttrust-cli-verify-authority-")
{
    private string AuditDirectory => Home.File("audit");

    private Task<(int Exit, string Out, string Error)> Run(params string[] args) => RunCliAsync(args);

    private async Task SignAsync(int i) =>
        Assert.Equal(0, (await Run("receipt", "sign", "--key", "bot", "--tool", "read", "--params", $$"""{"i":{{i}}}""", "--target", "mcp://fs")).Exit);

    private async Task KeysAsync()
    {
        Assert.Equal(0, (await Run("key", "new", "--alg", "ed25519", "--name", "audit", "--unencrypted")).Exit);
        Assert.Equal(0, (await Run("key", "new", "--alg", "ed25519", "--name", "bot", "--unencrypted")).Exit);
    }

    private static string Reason(string json) => JsonNode.Parse(json)!["first_break"]!["reason"]!.GetValue<string>();

    [Fact]
    public async Task An_emptied_log_directory_fails_against_the_authority_unless_explicitly_allowed()
    {
        await KeysAsync();
        for (var i = 0; i < 3; i++)
        {
            await SignAsync(i);
        }

        Assert.Equal(0, (await Run("audit", "anchor", "--authority", Url)).Exit);

        // The attacker deletes every record and every local anchor, and the recorded log id too.
        foreach (var file in Directory.GetFiles(AuditDirectory, "*.jsonl"))
        {
            File.Delete(file);
        }

        Directory.Delete(Path.Combine(AuditDirectory, "anchors"), recursive: true);
        File.Delete(Home.File("anchored-logs.json"));

        var (exit, json, error) = await Run("audit", "verify", "--authority", Url, "--json");
        Assert.Equal(1, exit);
        Assert.Equal("log_missing", Reason(json));
        Assert.Equal("MCPS-023", JsonNode.Parse(json)!["first_break"]!["code"]!.GetValue<string>());
        Assert.Equal("none", JsonNode.Parse(json)!["authority_anchor"]!["held"]!.GetValue<string>());
        (exit, _, error) = await Run("audit", "verify", "--authority", Url);
        Assert.Equal(1, exit);
        Assert.StartsWith("agenttrust: error MCPS-023:", error, StringComparison.Ordinal);

        (exit, json, error) = await Run("audit", "verify", "--authority", Url, "--allow-unanchored", "--json");
        Assert.True(exit == 0, error + json);
        Assert.True(JsonNode.Parse(json)!["authority_anchor"]!["allowed_unanchored"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_new_log_the_authority_never_anchored_fails_unless_explicitly_allowed()
    {
        await KeysAsync();
        for (var i = 0; i < 3; i++)
        {
            await SignAsync(i);
        }

        var (exit, json, _) = await Run("audit", "verify", "--authority", Url, "--json");
        Assert.Equal(1, exit);
        Assert.Equal("authority_no_anchor", Reason(json));
        Assert.Equal("none", JsonNode.Parse(json)!["authority_anchor"]!["held"]!.GetValue<string>());

        Assert.Equal(0, (await Run("audit", "verify", "--authority", Url, "--allow-unanchored")).Exit);

        // Once anchored, the authority's verdict is in the report.
        Assert.Equal(0, (await Run("audit", "anchor", "--authority", Url)).Exit);
        (exit, json, var error) = await Run("audit", "verify", "--authority", Url, "--json");
        Assert.True(exit == 0, error + json);
        Assert.Equal(3, JsonNode.Parse(json)!["authority_anchor"]!["held"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_log_rewritten_from_scratch_is_caught_through_the_recorded_log_id()
    {
        await KeysAsync();
        for (var i = 0; i < 3; i++)
        {
            await SignAsync(i);
        }

        Assert.Equal(0, (await Run("audit", "anchor", "--authority", Url)).Exit);
        Assert.True(File.Exists(Home.File("anchored-logs.json")));
        foreach (var file in Directory.GetFiles(AuditDirectory, "*.jsonl"))
        {
            File.Delete(file);
        }

        Directory.Delete(Path.Combine(AuditDirectory, "anchors"), recursive: true);
        for (var i = 0; i < 5; i++)
        {
            await SignAsync(10 + i);
        }

        // No --log-id: the id recorded when the original log was anchored is asked about, and the new log does not match.
        var (exit, json, _) = await Run("audit", "verify", "--authority", Url, "--json");
        Assert.Equal(1, exit);
        Assert.Equal("anchor_mismatch", Reason(json));
    }

    [Fact]
    public async Task A_replayed_old_record_of_the_authority_cannot_hide_a_cut_tail()
    {
        // The authority is reached over plain http through a man in the middle who keeps its answers.
        await using var proxy = await CheckpointReplayProxy.StartAsync(TaHost.Server.BaseAddress);
        var url = proxy.BaseAddress.ToString();
        await KeysAsync();
        for (var i = 0; i < 3; i++)
        {
            await SignAsync(i);
        }

        Assert.Equal(0, (await Run("audit", "anchor", "--authority", url)).Exit);
        var (exit, json, error) = await Run("audit", "verify", "--authority", url, "--json");
        Assert.True(exit == 0, error + json);
        var captured = proxy.LastAnswer!;

        for (var i = 3; i < 5; i++)
        {
            await SignAsync(i);
        }

        Assert.Equal(0, (await Run("audit", "anchor", "--authority", url)).Exit);

        // The attacker cuts the last two records and the local anchors; relayed honestly, the authority's record catches it.
        var file = Directory.GetFiles(AuditDirectory, "*.jsonl").Single();
        await File.WriteAllLinesAsync(file, File.ReadAllLines(file).Take(3));
        Directory.Delete(Path.Combine(AuditDirectory, "anchors"), recursive: true);
        (exit, json, _) = await Run("audit", "verify", "--authority", url, "--json");
        Assert.Equal(1, exit);
        Assert.Equal("tail_truncated", Reason(json));

        // Replaying the old record (which showed 3 records anchored) no longer makes the cut log pass: it is refused.
        proxy.Rewrite = (_, _) => captured;
        (exit, json, error) = await Run("audit", "verify", "--authority", url, "--json");
        Assert.True(exit == 1, error + json);
        Assert.StartsWith("agenttrust: error MCPS-005:", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_forged_404_cannot_make_an_anchored_log_pass_as_unanchored()
    {
        await using var proxy = await CheckpointReplayProxy.StartAsync(TaHost.Server.BaseAddress);
        var url = proxy.BaseAddress.ToString();
        await KeysAsync();
        for (var i = 0; i < 5; i++)
        {
            await SignAsync(i);
        }

        Assert.Equal(0, (await Run("audit", "anchor", "--authority", url)).Exit);
        var file = Directory.GetFiles(AuditDirectory, "*.jsonl").Single();
        await File.WriteAllLinesAsync(file, File.ReadAllLines(file).Take(3));
        Directory.Delete(Path.Combine(AuditDirectory, "anchors"), recursive: true);

        // The man in the middle says the authority holds nothing; --allow-unanchored must not turn that into a pass.
        proxy.ForgeNotFound = true;
        var (exit, json, error) = await Run("audit", "verify", "--authority", url, "--allow-unanchored", "--json");
        Assert.True(exit == 1, error + json);
        Assert.StartsWith("agenttrust: error MCPS-005:", error, StringComparison.Ordinal);

        proxy.ForgeNotFound = false;
        (exit, json, _) = await Run("audit", "verify", "--authority", url, "--allow-unanchored", "--json");
        Assert.Equal(1, exit);
        Assert.Equal("tail_truncated", Reason(json));
    }
}
