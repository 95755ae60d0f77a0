using System.Text.Json.Nodes;
using AgentTrust.Json;
using AgentTrust.Receipts;
using AgentTrust.Tests.Support;
using Text = System.Text;

namespace AgentTrust.Tests.Receipts;

/// <summary>Signet's own cross-language goldens (Python and TypeScript signers): the ground truth.</summary>
public sealed class GoldenTests
{
    public static TheoryData<string, string> Goldens
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var file in (string[])["python-signed.json", "ts-signed.json"])
            {
                foreach (var version in (string[])["v1", "v2", "v3", "v4"])
                {
                    data.Add(file, version);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Goldens))]
    public async Task Golden_verifies_with_its_keys_as_trusted(string file, string version)
    {
        var (entry, receipt) = Load(file, version);
        var verifier = new ReceiptVerifier(Anchors(entry), time: new ManualTimeProvider(ReceiptVectorTests.ReceiptTime(receipt)));
        var verdict = await verifier.VerifyAsync(Bytes(entry), ReceiptVerificationOptions.Forensic with { AnchoredAt = ReceiptVectorTests.ReceiptTime(receipt) });
        Assert.True(verdict.Valid, verdict.Reason);
        Assert.Equal(ReceiptTrustLevel.Trusted, verdict.Level);
    }

    [Theory]
    [MemberData(nameof(Goldens))]
    public void Golden_hashes_and_ids_recompute(string file, string version)
    {
        var (_, receipt) = Load(file, version);
        var json = receipt.Json;
        var action = (json["action"] ?? json["agent_receipt"]!["action"])!.AsObject();
        Assert.Equal(action["params_hash"]!.GetValue<string>(), ReceiptEncoding.ContentHash(action["params"], CanonicalJsonOptions.Strict));
        ReceiptEncoding.TryParseSignature(json["sig"]!.GetValue<string>(), out var sig);
        Assert.Equal(receipt.Id, ReceiptEncoding.ComputeId("rec_", sig));
        if (json["authorization"] is JsonObject authorization)
        {
            Assert.Equal(authorization["chain_hash"]!.GetValue<string>(), ReceiptSignables.ChainHash(authorization["chain"]!.AsArray(), CanonicalJsonOptions.Strict));
            foreach (var token in authorization["chain"]!.AsArray())
            {
                ReceiptEncoding.TryParseSignature(token!["sig"]!.GetValue<string>(), out var tokenSig);
                Assert.Equal(token["id"]!.GetValue<string>(), ReceiptEncoding.ComputeId("del_", tokenSig));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Goldens))]
    public async Task Changing_the_tool_breaks_the_golden(string file, string version)
    {
        var (entry, receipt) = Load(file, version);
        var json = receipt.ToJsonObject();
        var action = (json["action"] ?? json["agent_receipt"]!["action"])!.AsObject();
        action["tool"] = "evil_tool";
        var verifier = new ReceiptVerifier(Anchors(entry), time: new ManualTimeProvider(ReceiptVectorTests.ReceiptTime(receipt)));
        var verdict = await verifier.VerifyAsync(Text.Encoding.UTF8.GetBytes(json.ToJsonString()), ReceiptVerificationOptions.Forensic);
        Assert.False(verdict.Valid);
        Assert.Equal("bad_signature", verdict.Reason);
    }

    private static (JsonObject Entry, Receipt Receipt) Load(string file, string version)
    {
        var entry = JsonNode.Parse(SharedFiles.ReadText("signet", "golden", file))![version]!.AsObject();
        return (entry, Receipt.Parse(Bytes(entry)));
    }

    private static byte[] Bytes(JsonObject entry) => Text.Encoding.UTF8.GetBytes(entry["receipt"]!.ToJsonString());

    private static PinnedReceiptKeys Anchors(JsonObject entry)
    {
        var anchors = new PinnedReceiptKeys();
        foreach (var (name, role) in (ValueTuple<string, ReceiptKeyRole>[])[("public_key", ReceiptKeyRole.Agent), ("agent_public_key", ReceiptKeyRole.Agent), ("server_public_key", ReceiptKeyRole.Server), ("owner_public_key", ReceiptKeyRole.DelegationRoot)])
        {
            if (entry[name] is JsonValue key)
            {
                anchors.Pin(ReceiptEncoding.Ed25519Prefix + key.GetValue<string>(), role);
            }
        }

        return anchors;
    }
}
