using Text = System.Text;
using System.Text.Json.Nodes;
using AgentTrust.Errors;
using AgentTrust.Json;
using AgentTrust.Receipts;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Receipts;

public sealed class ReceiptVectorTests
{
    public static TheoryData<string> ReceiptVectors => new() { "receipt_v1", "receipt_v1_hash_only", "receipt_v1_full", "receipt_v2_compound", "receipt_v3_bilateral", "receipt_v4_authorized" };

    [Theory]
    [MemberData(nameof(ReceiptVectors))]
    public void Signable_matches_the_vector_byte_for_byte(string name)
    {
        var vector = SignetVectors.Vector(name);
        var receipt = Receipt.Parse(SignetVectors.FileBytes(SignetVectors.S(vector["file"])));
        var signable = ReceiptSignables.ForVersion(receipt.Version, receipt.Json, CanonicalJsonOptions.Strict);
        Assert.Equal(SignetVectors.S(vector["signable_jcs"]), Text.Encoding.UTF8.GetString(signable));
        Assert.Equal(SignetVectors.S(vector["id"]), receipt.Id);
    }

    [Theory]
    [MemberData(nameof(ReceiptVectors))]
    public async Task Verifies_in_forensic_mode_with_pinned_keys_as_trusted(string name)
    {
        var vector = SignetVectors.Vector(name);
        var file = SignetVectors.S(vector["file"]);
        var receipt = Receipt.Parse(SignetVectors.FileBytes(file));
        var ts = ReceiptTime(receipt);
        var verifier = new ReceiptVerifier(SignetVectors.AllFixedKeys(), time: new ManualTimeProvider(ts));
        var options = ReceiptVerificationOptions.Forensic with { AnchoredAt = ts };
        var verdict = await verifier.VerifyAsync(SignetVectors.FileBytes(file), options);
        Assert.True(verdict.Valid, verdict.Reason);
        Assert.Equal(ReceiptTrustLevel.Trusted, verdict.Level);
        Assert.Equal(receipt.Version, verdict.Version);
    }

    [Theory]
    [MemberData(nameof(ReceiptVectors))]
    public async Task Without_anchors_the_verdict_is_only_self_consistent(string name)
    {
        var file = SignetVectors.S(SignetVectors.Vector(name)["file"]);
        var receipt = Receipt.Parse(SignetVectors.FileBytes(file));
        var verifier = new ReceiptVerifier(time: new ManualTimeProvider(ReceiptTime(receipt)));
        var forensic = await verifier.VerifyAsync(SignetVectors.FileBytes(file), ReceiptVerificationOptions.Forensic);
        Assert.True(forensic.Valid);
        Assert.Equal(ReceiptTrustLevel.SelfConsistent, forensic.Level);
        var live = await verifier.VerifyAsync(SignetVectors.FileBytes(file), ReceiptVerificationOptions.Live(receipt.Version));
        Assert.False(live.Valid);
        Assert.Equal("untrusted_key", live.Reason);
    }

    [Fact]
    public void V1_is_reproduced_exactly_from_the_seed()
    {
        var expected = SignetVectors.FileJson("receipt_v1.json");
        using var key = SignetVectors.Key("agent");
        var signer = Signer(key, "demo-bot", "willamhou", expected);
        var action = new ReceiptAction("github_create_issue", JsonNode.Parse("""{"title":"fix bug","body":"details"}"""), "mcp://github.local");
        AssertSameJson(expected, signer.Sign(action));
    }

    [Fact]
    public void V1_hash_only_keeps_the_supplied_hash_and_is_reproduced()
    {
        var vector = SignetVectors.Vector("receipt_v1_hash_only");
        var expected = SignetVectors.FileJson("receipt_v1_hash_only.json");
        using var key = SignetVectors.Key("agent");
        var signer = Signer(key, "demo-bot", "willamhou", expected);
        var action = ReceiptAction.HashOnly("github_create_issue", vector["hashed_params"], "mcp://github.local");
        var receipt = signer.Sign(action);
        AssertSameJson(expected, receipt);
        Assert.Null(receipt.Json["action"]!["params"]);
    }

    [Fact]
    public void V1_full_with_policy_and_exp_is_reproduced()
    {
        var expected = SignetVectors.FileJson("receipt_v1_full.json");
        using var key = SignetVectors.Key("agent");
        var signer = Signer(key, "demo-bot", "", expected);
        var a = (JsonObject)expected["action"]!;
        var action = new ReceiptAction(SignetVectors.S(a["tool"]), a["params"], SignetVectors.S(a["target"]))
        {
            Session = SignetVectors.S(a["session"]),
            CallId = SignetVectors.S(a["call_id"]),
            ResponseHash = SignetVectors.S(a["response_hash"]),
            TraceId = SignetVectors.S(a["trace_id"]),
            ParentReceiptId = SignetVectors.S(a["parent_receipt_id"]),
        };
        var p = expected["policy"]!;
        var policy = new PolicyAttestation(SignetVectors.S(p["policy_hash"]), SignetVectors.S(p["policy_name"]), ["allow-read"], SignetVectors.S(p["decision"]), SignetVectors.S(p["reason"]));
        ReceiptEncoding.TryParseTimestamp(SignetVectors.S(expected["exp"]), out var exp);
        AssertSameJson(expected, signer.Sign(action, policy, exp));
    }

    [Fact]
    public void V2_compound_is_reproduced_and_the_content_hash_recomputes()
    {
        var vector = SignetVectors.Vector("receipt_v2_compound");
        var expected = SignetVectors.FileJson("receipt_v2_compound.json");
        Assert.Equal(SignetVectors.S(vector["content_hash"]), ReceiptEncoding.ContentHash(vector["response_content"]));
        using var key = SignetVectors.Key("agent");
        ReceiptEncoding.TryParseTimestamp(SignetVectors.S(expected["ts_response"]), out var tsResponse);
        ReceiptEncoding.TryParseTimestamp(SignetVectors.S(expected["ts_request"]), out var tsRequest);
        var signer = new ReceiptSigner(key, "demo-bot", "willamhou", new ManualTimeProvider(tsResponse)) { NonceSource = () => SignetVectors.S(expected["nonce"]) };
        var receipt = signer.SignCompound(new ReceiptAction("github_create_issue", JsonNode.Parse("""{"title":"fix bug"}"""), "mcp://github.local"), vector["response_content"], tsRequest);
        AssertSameJson(expected, receipt);
    }

    [Fact]
    public void V3_bilateral_is_reproduced_from_the_server_seed()
    {
        var vector = SignetVectors.Vector("receipt_v3_bilateral");
        var expected = SignetVectors.FileJson("receipt_v3_bilateral.json");
        using var key = SignetVectors.Key("server");
        ReceiptEncoding.TryParseTimestamp(SignetVectors.S(expected["ts_response"]), out var ts);
        var signer = new ReceiptSigner(key, "github-mcp", "", new ManualTimeProvider(ts)) { NonceSource = () => SignetVectors.S(expected["nonce"]) };
        var agent = Receipt.Parse(SignetVectors.FileBytes("receipt_v1.json"));
        AssertSameJson(expected, signer.Countersign(agent, vector["response_content"], ResponseOutcome.Executed));
    }

    [Fact]
    public void Delegation_token_and_v4_are_reproduced_and_the_chain_hash_recomputes()
    {
        var tokenExpected = SignetVectors.FileJson("delegation_token.json");
        using var root = SignetVectors.Key("root");
        using var agent = SignetVectors.Key("agent");
        ReceiptEncoding.TryParseTimestamp(SignetVectors.S(tokenExpected["issued_at"]), out var issued);
        var issuer = new ReceiptSigner(root, "alice", "", new ManualTimeProvider(issued)) { NonceSource = () => SignetVectors.S(tokenExpected["nonce"]) };
        var token = issuer.Delegate(agent.PublicKey, "deploy-bot", new DelegationScope(["Bash", "Read"], ["mcp://github"], 0) { Expires = "2027-12-31T23:59:59Z" });
        Assert.Equal(Canonical(tokenExpected), Canonical(token.Json));
        Assert.Equal(SignetVectors.S(SignetVectors.Vector("delegation_token")["signable_jcs"]), Text.Encoding.UTF8.GetString(ReceiptSignables.Token(token.Json, CanonicalJsonOptions.Signet)));

        var v4 = SignetVectors.Vector("receipt_v4_authorized");
        var expected = SignetVectors.FileJson("receipt_v4_authorized.json");
        Assert.Equal(SignetVectors.S(v4["chain_hash"]), ReceiptEncoding.HashTag(Text.Encoding.UTF8.GetBytes(SignetVectors.S(v4["chain_jcs"]))));
        Assert.Equal(SignetVectors.S(v4["chain_jcs"]), Text.Encoding.UTF8.GetString(JsonCanonicalizer.Canonicalize(expected["authorization"]!["chain"], CanonicalJsonOptions.Strict)));
        ReceiptEncoding.TryParseTimestamp(SignetVectors.S(expected["ts"]), out var ts);
        var delegateSigner = new ReceiptSigner(agent, "deploy-bot", "", new ManualTimeProvider(ts)) { NonceSource = () => SignetVectors.S(expected["nonce"]) };
        var receipt = delegateSigner.SignAuthorized(new ReceiptAction("Bash", JsonNode.Parse("""{"cmd":"git pull"}"""), "mcp://github"), [token]);
        AssertSameJson(expected, receipt);
    }

    [Fact]
    public async Task Delegation_token_verifies_with_its_delegator()
    {
        var token = DelegationToken.TryParse(SignetVectors.FileBytes("delegation_token.json"), out _)!;
        Assert.Equal(SignetVectors.S(SignetVectors.Vector("delegation_token")["id"]), token.Id);
        var at = DateTimeOffset.Parse("2026-04-10T08:05:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var verdict = await new ReceiptVerifier(SignetVectors.AllFixedKeys()).VerifyDelegationAsync(token, at);
        Assert.True(verdict.Valid, verdict.Reason);
        Assert.Equal(ReceiptTrustLevel.Trusted, verdict.Level);
        var late = await new ReceiptVerifier(SignetVectors.AllFixedKeys()).VerifyDelegationAsync(token, at.AddYears(3));
        Assert.False(late.Valid);
        Assert.Equal(McpsCode.DelegationInvalid, late.Code);
    }

    [Fact]
    public void Signet_number_rule_is_applied_when_hashing_params()
    {
        var vector = SignetVectors.Vector("negative_canonicalization");
        foreach (var bad in vector["must_fail_params_json"]!.AsArray())
        {
            var e = Assert.Throws<CanonicalJsonException>(() => ReceiptEncoding.ContentHash(JsonNode.Parse(SignetVectors.S(bad))));
            Assert.Equal("unsafe_number", e.Error.Reason);
        }

        foreach (var (input, canonical) in vector["must_pass"]!.AsObject())
        {
            Assert.Equal(SignetVectors.S(canonical), Text.Encoding.UTF8.GetString(JsonCanonicalizer.Canonicalize(JsonNode.Parse(input), CanonicalJsonOptions.Signet)));
        }
    }

    [Fact]
    public void Params_hash_of_the_spec_examples()
    {
        Assert.Equal(SignetVectors.S(SignetVectors.Vector("receipt_v1")["params_hash"]), ReceiptEncoding.ContentHash(JsonNode.Parse("""{"title":"fix bug","body":"details"}""")));
        Assert.Equal(ReceiptEncoding.EmptyObjectHash, ReceiptEncoding.ContentHash(JsonNode.Parse("{}")));
        Assert.Equal(ReceiptEncoding.EmptyObjectHash, ReceiptEncoding.ContentHash(null));
    }

    internal static DateTimeOffset ReceiptTime(Receipt receipt)
    {
        var name = receipt.Version switch { 2 or 3 => "ts_response", _ => "ts" };
        ReceiptEncoding.TryParseTimestamp(SignetVectors.S(receipt.Json[name]), out var ts);
        return ts;
    }

    private static ReceiptSigner Signer(AgentTrust.Cryptography.SigningKey key, string name, string owner, JsonObject expected)
    {
        ReceiptEncoding.TryParseTimestamp(SignetVectors.S(expected["ts"]), out var ts);
        return new ReceiptSigner(key, name, owner, new ManualTimeProvider(ts)) { NonceSource = () => SignetVectors.S(expected["nonce"]) };
    }

    private static void AssertSameJson(JsonObject expected, Receipt actual)
    {
        Assert.Equal(Canonical(expected), Canonical(actual.Json));
        Assert.Equal(expected.ToJsonString(), actual.Json.ToJsonString());
    }

    private static string Canonical(JsonNode node) => Text.Encoding.UTF8.GetString(JsonCanonicalizer.Canonicalize(node, CanonicalJsonOptions.Strict));
}
