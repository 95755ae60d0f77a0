using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentTrust.Receipts;

/// <summary>A Signet delegation token (receipts.md §4.4) as JSON. Issue with <see cref="ReceiptSigner.Delegate"/>.</summary>
public sealed class DelegationToken
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    internal DelegationToken(JsonObject json) => Json = json;

    /// <summary>The token id as written (<c>del_…</c>).</summary>
    public string? Id => ReceiptShape.GetString(Json, "id");

    internal JsonObject Json { get; }

    /// <summary>The JSON object (a private copy).</summary>
    public JsonObject ToJsonObject() => (JsonObject)Json.DeepClone();

    /// <summary>The token as indented JSON.</summary>
    public string ToJsonString() => Json.ToJsonString(Indented);

    /// <summary>Parses a token. Never throws on bad input.</summary>
    public static DelegationToken? TryParse(ReadOnlySpan<byte> utf8Json, out string? reason)
    {
        var node = Receipt.ParseObject(utf8Json, out reason);
        return node is null ? null : new DelegationToken(node);
    }
}
