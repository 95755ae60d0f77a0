using System.Text.Json.Nodes;
using AgentTrust.Receipts;
using AgentTrust.Tests.Support;
using Text = System.Text;

namespace AgentTrust.Tests.Receipts;

/// <summary>Every member of every vector receipt is bound: changing or removing any of them invalidates the receipt.</summary>
public sealed class ReceiptTamperTests
{
    private static readonly string[] Files = ["receipt_v1.json", "receipt_v1_hash_only.json", "receipt_v1_full.json", "receipt_v2_compound.json", "receipt_v3_bilateral.json", "receipt_v4_authorized.json"];

    public static TheoryData<string, string> Leaves
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var file in Files)
            {
                foreach (var path in LeafPaths(SignetVectors.FileJson(file), ""))
                {
                    data.Add(file, path);
                }
            }

            return data;
        }
    }

    public static TheoryData<string, string> Members
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var file in Files)
            {
                foreach (var path in MemberPaths(SignetVectors.FileJson(file), ""))
                {
                    data.Add(file, path);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Leaves))]
    public async Task Changing_any_value_invalidates_the_receipt(string file, string path)
    {
        var json = SignetVectors.FileJson(file);
        var (parent, key) = Locate(json, path);
        var current = Get(parent, key);
        Set(parent, key, current switch
        {
            null => JsonValue.Create("x"),
            JsonValue v when v.TryGetValue(out string? s) => JsonValue.Create(Mutate(s)),
            JsonValue v when v.TryGetValue(out bool b) => JsonValue.Create(!b),
            JsonValue v => JsonValue.Create(v.GetValue<double>() + 1),
            _ => throw new InvalidOperationException(),
        });
        Assert.False((await VerifyAsync(file, json)).Valid);
    }

    [Theory]
    [MemberData(nameof(Members))]
    public async Task Removing_any_member_invalidates_the_receipt(string file, string path)
    {
        var json = SignetVectors.FileJson(file);
        var (parent, key) = Locate(json, path);
        if (parent is JsonObject obj)
        {
            obj.Remove((string)key);
        }
        else
        {
            ((JsonArray)parent).RemoveAt((int)key);
        }

        Assert.False((await VerifyAsync(file, json)).Valid);
    }

    [Theory]
    [InlineData("receipt_v1.json", "")]
    [InlineData("receipt_v1.json", "action.")]
    [InlineData("receipt_v1.json", "signer.")]
    [InlineData("receipt_v3_bilateral.json", "agent_receipt.")]
    [InlineData("receipt_v4_authorized.json", "authorization.")]
    public async Task An_unknown_member_in_a_signed_part_is_rejected_and_reported_in_compat_mode(string file, string where)
    {
        var json = SignetVectors.FileJson(file);
        var target = where.Length == 0 ? json : (JsonObject)Locate(json, where.TrimEnd('.')).Parent[where.TrimEnd('.').Split('.')[^1]]!;
        target["injected"] = "looks signed but is not";
        var strict = await VerifyAsync(file, json);
        Assert.False(strict.Valid);
        Assert.Equal("unknown_member", strict.Reason);
        var compat = await VerifyAsync(file, json, ReceiptVerificationOptions.Forensic with { ReportUnknownMembers = true });
        Assert.True(compat.Valid, compat.Reason);
        Assert.Contains(compat.Warnings, w => w.StartsWith("unknown_member:", StringComparison.Ordinal));
    }

    private static async Task<ReceiptVerdict> VerifyAsync(string file, JsonObject json, ReceiptVerificationOptions? options = null)
    {
        var original = Receipt.Parse(SignetVectors.FileBytes(file));
        var verifier = new ReceiptVerifier(SignetVectors.AllFixedKeys(), time: new ManualTimeProvider(ReceiptVectorTests.ReceiptTime(original)));
        return await verifier.VerifyAsync(Text.Encoding.UTF8.GetBytes(json.ToJsonString()), options ?? ReceiptVerificationOptions.Forensic);
    }

    private static string Mutate(string s)
    {
        // Keep encodings well-formed where possible so the check under attack is the binding, not the parser.
        if (s.StartsWith("sha256:", StringComparison.Ordinal))
        {
            return "sha256:" + (s[7] == '0' ? '1' : '0') + s[8..];
        }

        if (s.StartsWith("ed25519:", StringComparison.Ordinal) && s.Length > 12)
        {
            return s[..8] + (s[8] == 'A' ? 'B' : 'A') + s[9..];
        }

        if (ReceiptEncoding.TryParseTimestamp(s, out var t))
        {
            return s.EndsWith('Z') && s.Contains('.', StringComparison.Ordinal) ? ReceiptEncoding.FormatTimestamp(t.AddMilliseconds(-1)) : s.Replace(":59Z", ":58Z", StringComparison.Ordinal);
        }

        return s + "x";
    }

    private static IEnumerable<string> LeafPaths(JsonNode? node, string prefix) => node switch
    {
        JsonObject o => o.SelectMany(p => LeafPaths(p.Value, prefix + p.Key + ".")),
        JsonArray a => a.SelectMany((n, i) => LeafPaths(n, prefix + i + ".")),
        _ => [prefix.TrimEnd('.')],
    };

    private static IEnumerable<string> MemberPaths(JsonNode? node, string prefix) => node switch
    {
        JsonObject o => o.SelectMany(p => (IEnumerable<string>)[prefix + p.Key, .. MemberPaths(p.Value, prefix + p.Key + ".")]),
        JsonArray a => a.SelectMany((n, i) => (IEnumerable<string>)[prefix + i, .. MemberPaths(n, prefix + i + ".")]),
        _ => [],
    };

    private static (JsonNode Parent, object Key) Locate(JsonObject root, string path)
    {
        var parts = path.Split('.');
        JsonNode current = root;
        foreach (var part in parts[..^1])
        {
            current = current is JsonArray a ? a[int.Parse(part, System.Globalization.CultureInfo.InvariantCulture)]! : current[part]!;
        }

        var last = parts[^1];
        return current is JsonArray ? (current, int.Parse(last, System.Globalization.CultureInfo.InvariantCulture)) : (current, last);
    }

    private static JsonNode? Get(JsonNode parent, object key) => parent is JsonArray a ? a[(int)key] : parent[(string)key];

    private static void Set(JsonNode parent, object key, JsonNode? value)
    {
        if (parent is JsonArray a)
        {
            a[(int)key] = value;
        }
        else
        {
            parent[(string)key] = value;
        }
    }
}
