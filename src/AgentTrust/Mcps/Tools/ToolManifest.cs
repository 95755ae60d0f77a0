using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Errors;
using AgentTrust.Json;

namespace AgentTrust.Mcps.Tools;

/// <summary>
/// A signed tool manifest: the alternative to trust on first use. The tool author (or the operator) signs the
/// expected <c>agenttrust-tool-v2</c> hash of every tool of a server; importing a verified manifest pins exactly those
/// hashes (an explicit approval). Form: <c>{"profile":"agenttrust-tool-manifest-v1","server","passport_id","issued_at",
/// "tools":[{"name","tool_hash"}],"signature"}</c>, signed as <c>UTF-8(JCS(manifest without "signature"))</c>.
/// </summary>
public static class ToolManifest
{
    /// <summary>The manifest profile name.</summary>
    public const string Profile = "agenttrust-tool-manifest-v1";

    /// <summary>Builds and signs a manifest for the tools of <paramref name="serverId"/> as listed (the <c>tools</c> array of <c>tools/list</c>).</summary>
    public static JsonObject Sign(string serverId, JsonArray tools, SigningKey key, string passportId, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(serverId);
        ArgumentNullException.ThrowIfNull(tools);
        ArgumentNullException.ThrowIfNull(key);
        if (key.Algorithm != SignatureAlgorithm.ES256 || !McpsIdentifiers.IsPassportId(passportId))
        {
            throw new ArgumentException("Manifests are signed with ES256 under an asp_ passport id.", nameof(key));
        }

        var entries = new JsonArray();
        foreach (var tool in tools.OfType<JsonObject>())
        {
            entries.Add((JsonNode)new JsonObject
            {
                ["name"] = McpsJson.GetString(tool, "name") ?? throw new ArgumentException("A tool has no name.", nameof(tools)),
                ["tool_hash"] = ToolPreimage.ToolHash(tool),
            });
        }

        var manifest = new JsonObject
        {
            ["profile"] = Profile,
            ["server"] = serverId,
            ["passport_id"] = passportId,
            ["issued_at"] = McpsTimestamp.Format((time ?? TimeProvider.System).GetUtcNow()),
            ["tools"] = entries,
        };
        manifest["signature"] = StrictBase64.Encode(key.Sign(SigningInput(manifest)));
        return manifest;
    }

    /// <summary>
    /// Verifies a manifest with the signer's key and, when valid, returns its pins (tool name → hash); MCPS-008
    /// <c>tool_signature_mismatch</c> otherwise. Never throws on bad input.
    /// </summary>
    public static McpsFailure? TryVerify(JsonObject manifest, VerificationKey key, out string? serverId, out IReadOnlyDictionary<string, string> pins)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(key);
        serverId = null;
        pins = new Dictionary<string, string>();
        var mismatch = new McpsFailure(McpsCode.ToolIntegrityFailed, McpsReasons.ToolSignatureMismatch);
        try
        {
            if (McpsJson.GetString(manifest, "profile") != Profile || McpsJson.GetString(manifest, "server") is not { } server
                || !McpsIdentifiers.IsPassportId(McpsJson.GetString(manifest, "passport_id")) || manifest["tools"] is not JsonArray tools
                || !StrictBase64.TryDecode(McpsJson.GetString(manifest, "signature"), 64, out var signature)
                || key.Algorithm != SignatureAlgorithm.ES256 || key.Verify(SigningInput(manifest), signature) != SignatureStatus.Valid)
            {
                return mismatch;
            }

            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in tools)
            {
                if (entry is not JsonObject e || McpsJson.GetString(e, "name") is not { } name || McpsJson.GetString(e, "tool_hash") is not { } hash
                    || !McpsIdentifiers.IsLowerHex(hash, 64) || !result.TryAdd(name, hash))
                {
                    return mismatch;
                }
            }

            serverId = server;
            pins = result;
            return null;
        }
        catch (CanonicalJsonException)
        {
            return mismatch;
        }
    }

    /// <summary>Verifies a manifest and pins its tools in <paramref name="store"/> (replacing earlier pins: a signed manifest is an explicit approval).</summary>
    public static async ValueTask<McpsFailure?> ImportAsync(JsonObject manifest, VerificationKey key, IToolPinStore store, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (TryVerify(manifest, key, out var serverId, out var pins) is { } failure)
        {
            return failure;
        }

        // The manifest's signer approves hashes; it is not the tools' signer, so the pins name no tool signer.
        var now = (time ?? TimeProvider.System).GetUtcNow();
        foreach (var (name, hash) in pins)
        {
            await store.ApproveAsync(new ToolPin(serverId!, name, hash, null, now), cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    private static byte[] SigningInput(JsonObject manifest)
    {
        var copy = (JsonObject)manifest.DeepClone();
        copy.Remove("signature");
        return JsonCanonicalizer.Canonicalize(copy, CanonicalJsonOptions.Strict);
    }
}
