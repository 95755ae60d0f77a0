using System.Text.Json.Nodes;
using AgentTrust.Json;

namespace AgentTrust.TrustAuthority;

/// <summary>
/// Proof of key possession for audit-log checkpoints: the log writer signs (Ed25519) <c>JCS({"log_id","purpose":
/// "agenttrust-ta-checkpoint-v1","record_count","record_hash","submitter"})</c> where <c>submitter</c> is its
/// <c>ed25519:</c> public key. The authority binds a log to the key of its first checkpoint, so nobody else can
/// push a conflicting head for that log.
/// </summary>
public static class CheckpointProof
{
    /// <summary>The value of the <c>purpose</c> member.</summary>
    public const string Purpose = "agenttrust-ta-checkpoint-v1";

    /// <summary>Builds the bytes the log writer signs and the authority verifies.</summary>
    public static byte[] BuildPreimage(string logId, long recordCount, string recordHash, string submitter)
    {
        ArgumentNullException.ThrowIfNull(logId);
        ArgumentNullException.ThrowIfNull(recordHash);
        ArgumentNullException.ThrowIfNull(submitter);
        var payload = new JsonObject
        {
            ["log_id"] = logId,
            ["purpose"] = Purpose,
            ["record_count"] = JsonValue.Create(recordCount),
            ["record_hash"] = recordHash,
            ["submitter"] = submitter,
        };
        return JsonCanonicalizer.Canonicalize(payload, CanonicalJsonOptions.Strict);
    }
}
