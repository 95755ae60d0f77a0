using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Json;

namespace AgentTrust.Receipts;

/// <summary>
/// A Signet receipt (v1–v4) as JSON. Instances come from <see cref="ReceiptSigner"/> or <see cref="Parse(ReadOnlySpan{byte})"/>;
/// parsing checks only that the text is bounded, canonicalisable JSON with an integer <c>v</c>: use
/// <see cref="ReceiptVerifier"/> to decide whether to believe it.
/// </summary>
public sealed class Receipt
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    internal Receipt(JsonObject json, int version)
    {
        Json = json;
        Version = version;
    }

    /// <summary>The version (<c>v</c>): 1 unilateral, 2 compound, 3 bilateral, 4 delegation-authorised.</summary>
    public int Version { get; }

    /// <summary>The receipt id as written (<c>rec_…</c>); not yet checked against the signature.</summary>
    public string? Id => ReceiptShape.GetString(Json, "id");

    /// <summary>The JSON object (a private copy: changing it does not change the receipt).</summary>
    public JsonObject ToJsonObject() => (JsonObject)Json.DeepClone();

    internal JsonObject Json { get; }

    /// <summary>The receipt as indented JSON, member order as written.</summary>
    public string ToJsonString() => Json.ToJsonString(Indented);

    /// <summary>The receipt as RFC 8785 canonical UTF-8 JSON (the form the audit log stores).</summary>
    public byte[] ToCanonicalJson() => JsonCanonicalizer.Canonicalize(Json, CanonicalJsonOptions.Signet);

    /// <summary>Parses a receipt. Never throws on bad input: returns null and a reason.</summary>
    public static Receipt? TryParse(ReadOnlySpan<byte> utf8Json, out string? reason)
    {
        var node = ParseObject(utf8Json, out reason);
        if (node is null)
        {
            return null;
        }

        if (node["v"] is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !v.TryGetValue(out int version) || version is < 1 or > 4)
        {
            reason = "unsupported_version";
            return null;
        }

        return new Receipt(node, version);
    }

    /// <summary>Parses a receipt, throwing <see cref="FormatException"/> on bad input (for trusted local files).</summary>
    public static Receipt Parse(ReadOnlySpan<byte> utf8Json)
        => TryParse(utf8Json, out var reason) ?? throw new FormatException($"Not a receipt: {reason}.");

    /// <summary>Validates the text under the strict profile (bounds first), then parses it into an object.</summary>
    internal static JsonObject? ParseObject(ReadOnlySpan<byte> utf8Json, out string? reason) => ParseObject(utf8Json, alreadyValidated: false, out reason);

    /// <summary>As <see cref="ParseObject(ReadOnlySpan{byte}, out string?)"/>; skips validation when the caller just validated the same bytes under the strict profile.</summary>
    internal static JsonObject? ParseObject(ReadOnlySpan<byte> utf8Json, bool alreadyValidated, out string? reason)
    {
        if (!alreadyValidated && !JsonCanonicalizer.TryValidate(utf8Json, CanonicalJsonOptions.Strict, out var error))
        {
            reason = error!.Reason;
            return null;
        }

        try
        {
            if (JsonNode.Parse(utf8Json) is JsonObject obj)
            {
                reason = null;
                return obj;
            }
        }
        catch (JsonException)
        {
        }

        reason = "malformed";
        return null;
    }

    /// <inheritdoc />
    public override string ToString() => $"receipt v{Version} {Id}";
}
