using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using AgentTrust.Json;
using AgentTrust.Receipts;

namespace AgentTrust.Bench;

/// <summary>Per-step cost of verifying one receipt (<c>audit-profile</c>), to see where the time goes.</summary>
internal static class AuditProfile
{
    public static void Run(int n)
    {
        using var w = new AuditWorkload(n);
        var verifier = new ReceiptVerifier();
        for (var round = 0; round < 2; round++)
        {
            Step("raw verify", n, i => AgentTrust.Cryptography.Ed25519.Verify(w.PublicKey, w.Signables[i], w.Signatures[i]));
            Step("full verify (bytes)", n, i => verifier.VerifyAsync(w.Canonical[i], ReceiptVerificationOptions.Forensic).AsTask().GetAwaiter().GetResult());
            Step("parse+materialize", n, i => ReceiptShape.Check((JsonObject)JsonNode.Parse(w.Canonical[i])!, 1, []));
        }

        Step("validate strict", n, i => JsonCanonicalizer.TryValidate(w.Canonical[i], CanonicalJsonOptions.Strict, out _));
        Step("JsonNode.Parse", n, i => JsonNode.Parse(w.Canonical[i]));
        var parsed = w.Canonical.Select(c => (JsonObject)JsonNode.Parse(c)!).ToArray();
        Step("shape", n, i => ReceiptShape.Check(parsed[i], 1, []));
        Step("signable v1", n, i => ReceiptSignables.V1(parsed[i], CanonicalJsonOptions.Strict));
        Step("params hash", n, i => ReceiptEncoding.ContentHash(parsed[i]["action"]!["params"], CanonicalJsonOptions.Strict));
        Step("canonicalize bytes", n, i => JsonCanonicalizer.TryCanonicalize(w.Canonical[i], CanonicalJsonOptions.Strict, out _, out _));
        Step("sha256 record", n, i => System.Security.Cryptography.SHA256.HashData(w.Canonical[i]));
        Step("ed25519 verify", n, i => AgentTrust.Cryptography.Ed25519.Verify(w.PublicKey, w.Signables[i], w.Signatures[i]));
    }

    private static void Step(string name, int n, Action<int> action)
    {
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            action(i);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-24} {stopwatch.Elapsed.TotalMicroseconds / n,8:F2} us"));
    }
}
