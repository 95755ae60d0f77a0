using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Keys;
using AgentTrust.Mcps.Passports;

namespace AgentTrust.Gateway.Identity;

/// <summary>
/// A trust store directory for gateways that run without a Trust Authority:
/// <list type="bullet">
/// <item><c>anchors/*.json</c> — <c>{"name","public_key":JWK,"max_trust_level"?}</c>: the issuers passports must chain to;</item>
/// <item><c>passports/*.json</c> — passports known locally (found by their <c>passport_id</c>);</item>
/// <item><c>revoked.json</c> — <c>{"revoked":["asp_…"]}</c>: revoked passports (re-read on every lookup, so revoking
/// takes effect without a restart).</item>
/// </list>
/// Passports that are not revoked are reported active by this store: the operator's directory is the status source.
/// </summary>
public sealed class LocalTrustStore : IPassportResolver, IPassportStatusProvider
{
    private const int MaxFileBytes = 64 * 1024;
    private readonly string _directory;

    private LocalTrustStore(string directory, PassportTrustStore anchors)
    {
        _directory = directory;
        Anchors = anchors;
    }

    /// <summary>The anchors read from <c>anchors/</c>.</summary>
    public PassportTrustStore Anchors { get; }

    /// <summary>Opens a trust store directory.</summary>
    /// <exception cref="InvalidDataException">An anchor file is malformed.</exception>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public static LocalTrustStore Open(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"trust store '{directory}' not found");
        }

        var anchors = PassportTrustStore.Empty;
        var anchorDirectory = Path.Combine(directory, "anchors");
        if (Directory.Exists(anchorDirectory))
        {
            foreach (var file in Directory.EnumerateFiles(anchorDirectory, "*.json").Order(StringComparer.Ordinal))
            {
                var json = ReadObject(file) ?? throw new InvalidDataException($"anchor {Path.GetFileName(file)} is not a JSON object");
                if (json["name"] is not JsonValue name || json["public_key"] is not JsonObject jwk
                    || !JsonWebKey.TryParse(jwk.ToJsonString(), out var key, out _))
                {
                    throw new InvalidDataException($"anchor {Path.GetFileName(file)} needs a name and a public_key JWK");
                }

                var level = json["max_trust_level"] is JsonValue l ? l.GetValue<int>() : 4;
                anchors = anchors.Add(name.GetValue<string>(), key!.ToVerificationKey(), level);
            }
        }

        return new LocalTrustStore(Path.GetFullPath(directory), anchors);
    }

    /// <summary>Writes an anchor file (for tooling and tests).</summary>
    public static void WriteAnchor(string directory, string name, Cryptography.VerificationKey key, int maxTrustLevel = 4)
    {
        ArgumentNullException.ThrowIfNull(key);
        var anchorDirectory = Path.Combine(directory, "anchors");
        Directory.CreateDirectory(anchorDirectory);
        var json = new JsonObject
        {
            ["name"] = name,
            ["public_key"] = JsonNode.Parse(key.ToJsonWebKey().ToJson()),
            ["max_trust_level"] = maxTrustLevel,
        };
        File.WriteAllText(Path.Combine(anchorDirectory, name + ".json"), json.ToJsonString());
    }

    /// <inheritdoc />
    public ValueTask<ReadOnlyMemory<byte>?> ResolveAsync(string passportId, CancellationToken cancellationToken)
    {
        var passports = Path.Combine(_directory, "passports");
        if (Directory.Exists(passports))
        {
            foreach (var file in Directory.EnumerateFiles(passports, "*.json"))
            {
                var bytes = ReadBytes(file);
                if (bytes is not null && ReadPassportId(bytes) == passportId)
                {
                    return ValueTask.FromResult<ReadOnlyMemory<byte>?>(bytes);
                }
            }
        }

        return ValueTask.FromResult<ReadOnlyMemory<byte>?>(null);
    }

    /// <inheritdoc />
    public ValueTask<PassportStatus?> GetStatusAsync(string passportId, CancellationToken cancellationToken)
    {
        var revoked = ReadObject(Path.Combine(_directory, "revoked.json"))?["revoked"] as JsonArray;
        var isRevoked = revoked is not null && revoked.Any(n => n is JsonValue v && v.TryGetValue<string>(out var id) && id == passportId);
        return ValueTask.FromResult<PassportStatus?>(new PassportStatus(isRevoked ? PassportStatusKind.Revoked : PassportStatusKind.Active));
    }

    private static string? ReadPassportId(byte[] bytes)
    {
        try
        {
            return JsonNode.Parse(bytes) is JsonObject o && o["passport_id"] is JsonValue v && v.TryGetValue<string>(out var id) ? id : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static byte[]? ReadBytes(string file)
    {
        var info = new FileInfo(file);
        return info.Exists && info.Length <= MaxFileBytes ? File.ReadAllBytes(file) : null;
    }

    private static JsonObject? ReadObject(string file)
    {
        var bytes = ReadBytes(file);
        if (bytes is null)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(bytes, null, new JsonDocumentOptions { AllowDuplicateProperties = false }) as JsonObject;
        }
        catch (JsonException)
        {
            throw new InvalidDataException($"{Path.GetFileName(file)} is not valid JSON");
        }
    }
}
