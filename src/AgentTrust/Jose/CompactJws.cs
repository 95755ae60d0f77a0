using System.Text.Json;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;

namespace AgentTrust.Jose;

/// <summary>
/// A compact JWS whose structure has been checked but whose signature has not: three canonical base64url segments,
/// a strict JSON header with an accepted <c>alg</c>, no unknown <c>crit</c>, no <c>b64:false</c>, and (by default)
/// a strict JSON object payload. Obtain one with <see cref="TryParse"/>; check the signature with <see cref="VerifySignature"/>.
/// </summary>
public sealed class CompactJws
{
    private static readonly HashSet<string> EmptySet = new(StringComparer.Ordinal);

    private CompactJws(JwsHeader header, string encodedHeader, string encodedPayload, byte[] payload, JsonElement? payloadJson, byte[] signature)
    {
        Header = header;
        EncodedHeader = encodedHeader;
        EncodedPayload = encodedPayload;
        Payload = payload;
        PayloadJson = payloadJson;
        Signature = signature;
    }

    /// <summary>The parsed protected header.</summary>
    public JwsHeader Header { get; }

    /// <summary>The first segment as received.</summary>
    public string EncodedHeader { get; }

    /// <summary>The second segment as received.</summary>
    public string EncodedPayload { get; }

    /// <summary>The decoded payload bytes.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The payload as a JSON object when <see cref="JwsParseOptions.RequireJsonPayload"/> was set; otherwise null.</summary>
    public JsonElement? PayloadJson { get; }

    /// <summary>The decoded signature bytes.</summary>
    public ReadOnlyMemory<byte> Signature { get; }

    /// <summary>The decoded header text (UTF-8).</summary>
    public string HeaderJson => System.Text.Encoding.UTF8.GetString(StrictBase64.TryDecodeUrl(EncodedHeader, out var b) ? b : []);

    /// <summary>The signing input (ASCII of the first two segments joined by a dot).</summary>
    public byte[] CreateSigningInput() => JwsSigningInput.Create(EncodedHeader, EncodedPayload);

    /// <summary>
    /// Parses a compact JWS strictly. Never throws on bad input: returns false with the status and a short reason.
    /// </summary>
    public static bool TryParse(string? token, JwsParseOptions? options, out CompactJws? jws, out JwsStatus status, out string? reason)
    {
        options ??= JwsParseOptions.Default;
        jws = null;
        status = JwsStatus.Malformed;
        if (string.IsNullOrEmpty(token))
        {
            reason = "token is empty";
            return false;
        }

        if (token.Length > options.MaxTokenLength)
        {
            status = JwsStatus.TooLarge;
            reason = $"token longer than {options.MaxTokenLength} characters";
            return false;
        }

        var first = token.IndexOf('.', StringComparison.Ordinal);
        var second = first < 0 ? -1 : token.IndexOf('.', first + 1);
        if (first <= 0 || second < 0 || token.IndexOf('.', second + 1) >= 0)
        {
            reason = "a compact JWS has exactly three segments";
            return false;
        }

        var encodedHeader = token[..first];
        var encodedPayload = token[(first + 1)..second];
        var encodedSignature = token.AsSpan(second + 1);
        if (!StrictBase64.TryDecodeUrl(encodedHeader, out var headerBytes))
        {
            reason = "header segment is not canonical base64url";
            return false;
        }

        if (!StrictBase64.TryDecodeUrl(encodedPayload, out var payload))
        {
            reason = "payload segment is not canonical base64url";
            return false;
        }

        if (encodedSignature.IsEmpty || !StrictBase64.TryDecodeUrl(encodedSignature, out var signature))
        {
            reason = "signature segment is missing or not canonical base64url";
            return false;
        }

        if (!TryParseHeader(headerBytes, options, out var header, out status, out reason))
        {
            return false;
        }

        JsonElement? payloadJson = null;
        if (options.RequireJsonPayload)
        {
            if (!TryParseObject(payload, options.MaxJsonDepth, out var element, out reason))
            {
                status = JwsStatus.Malformed;
                reason = "payload: " + reason;
                return false;
            }

            payloadJson = element;
        }

        jws = new CompactJws(header!, encodedHeader, encodedPayload, payload, payloadJson, signature);
        status = JwsStatus.Valid;
        reason = null;
        return true;
    }

    /// <summary>
    /// Verifies the signature with <paramref name="key"/>. The key's algorithm must be the header's <c>alg</c>
    /// (no algorithm confusion); ES256 signatures must be 64-byte P1363 and low-S unless <paramref name="options"/> accept high-S.
    /// </summary>
    /// <param name="key">The key (its algorithm must be the header's).</param>
    /// <param name="options">Signature options (high-S compatibility).</param>
    /// <param name="signatureStatus">The primitive's verdict (<see cref="SignatureStatus.Mismatch"/> when the key type did not match).</param>
    public JwsStatus VerifySignature(VerificationKey key, SignatureVerificationOptions? options, out SignatureStatus signatureStatus)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Algorithm != Header.Algorithm)
        {
            signatureStatus = SignatureStatus.Mismatch;
            return JwsStatus.KeyAlgorithmMismatch;
        }

        signatureStatus = key.Verify(CreateSigningInput(), Signature.Span, options);
        return signatureStatus == SignatureStatus.Valid ? JwsStatus.Valid : JwsStatus.BadSignature;
    }

    /// <summary>Parses bytes as one strict JSON object (duplicate members rejected). The element is detached from the document.</summary>
    internal static bool TryParseObject(ReadOnlyMemory<byte> utf8, int maxDepth, out JsonElement element, out string? reason)
    {
        element = default;
        try
        {
            using var document = JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = maxDepth, AllowDuplicateProperties = false });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                reason = "not a JSON object";
                return false;
            }

            element = document.RootElement.Clone();
            reason = null;
            return true;
        }
        catch (JsonException e)
        {
            reason = e.Message.Contains("duplicate", StringComparison.OrdinalIgnoreCase) ? "duplicate member" : "invalid JSON";
            return false;
        }
    }

    private static bool TryParseHeader(byte[] headerBytes, JwsParseOptions options, out JwsHeader? header, out JwsStatus status, out string? reason)
    {
        header = null;
        status = JwsStatus.MalformedHeader;
        if (!TryParseObject(headerBytes, options.MaxJsonDepth, out var root, out reason))
        {
            reason = "header: " + reason;
            return false;
        }

        string? alg = null, kid = null, typ = null, cty = null;
        JsonElement? crit = null;
        var names = new List<string>();
        foreach (var member in root.EnumerateObject())
        {
            names.Add(member.Name);
            switch (member.Name)
            {
                case "alg":
                    if (member.Value.ValueKind != JsonValueKind.String)
                    {
                        status = JwsStatus.AlgorithmRejected;
                        reason = "alg is not a string";
                        return false;
                    }

                    alg = member.Value.GetString();
                    break;
                case "kid":
                    if (!TryGetString(member.Value, out kid))
                    {
                        reason = "kid is not a string";
                        return false;
                    }

                    break;
                case "typ":
                    if (!TryGetString(member.Value, out typ))
                    {
                        reason = "typ is not a string";
                        return false;
                    }

                    break;
                case "cty":
                    if (!TryGetString(member.Value, out cty))
                    {
                        reason = "cty is not a string";
                        return false;
                    }

                    break;
                case "crit":
                    crit = member.Value;
                    break;
                case "b64":
                    if (member.Value.ValueKind == JsonValueKind.False)
                    {
                        status = JwsStatus.UnencodedPayload;
                        reason = "b64:false (unencoded payload, RFC 7797) is not accepted";
                        return false;
                    }

                    if (member.Value.ValueKind != JsonValueKind.True)
                    {
                        reason = "b64 is not a boolean";
                        return false;
                    }

                    break;
            }
        }

        if (!SignatureAlgorithms.TryParse(alg, out var algorithm, out var rejection))
        {
            status = JwsStatus.AlgorithmRejected;
            reason = rejection;
            return false;
        }

        if (crit is { } critical && !CheckCritical(critical, names, options.UnderstoodCriticalHeaders ?? EmptySet, out status, out reason))
        {
            return false;
        }

        header = new JwsHeader(algorithm, kid, typ, cty, names);
        status = JwsStatus.Valid;
        reason = null;
        return true;
    }

    private static bool CheckCritical(JsonElement crit, List<string> names, IReadOnlySet<string> understood, out JwsStatus status, out string? reason)
    {
        status = JwsStatus.CriticalHeader;
        if (crit.ValueKind != JsonValueKind.Array || crit.GetArrayLength() == 0)
        {
            reason = "crit must be a non-empty array";
            return false;
        }

        foreach (var item in crit.EnumerateArray())
        {
            var name = item.ValueKind == JsonValueKind.String ? item.GetString() : null;
            if (string.IsNullOrEmpty(name))
            {
                reason = "crit lists a non-string or empty name";
                return false;
            }

            if (!understood.Contains(name))
            {
                reason = $"critical header '{name}' is not understood";
                return false;
            }

            if (!names.Contains(name))
            {
                reason = $"critical header '{name}' is listed but absent";
                return false;
            }
        }

        reason = null;
        return true;
    }

    private static bool TryGetString(JsonElement value, out string? text)
    {
        text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        return text is not null;
    }
}
