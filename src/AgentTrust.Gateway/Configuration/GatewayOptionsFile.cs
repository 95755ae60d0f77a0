using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentTrust.Gateway.Configuration;

/// <summary>Reads <see cref="GatewayOptions"/> from a JSON file (JSON only; comments and trailing commas allowed).</summary>
public static class GatewayOptionsFile
{
    /// <summary>Upper bound on the size of a configuration file.</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>Loads a configuration file. Unknown members are an error, so a typo never silently weakens policy.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid configuration.</exception>
    public static GatewayOptions Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var info = new FileInfo(path);
        if (info.Length > MaxBytes)
        {
            throw new InvalidDataException($"configuration file larger than {MaxBytes} bytes");
        }

        return Parse(File.ReadAllBytes(path));
    }

    /// <summary>Parses configuration JSON.</summary>
    /// <exception cref="InvalidDataException">The JSON is not a valid configuration.</exception>
    public static GatewayOptions Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            var file = JsonSerializer.Deserialize(json, GatewayOptionsJsonContext.Default.GatewayOptionsFileModel)
                ?? throw new InvalidDataException("configuration is null");
            var options = file.ToOptions();
            Validate(options);
            return options;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"invalid configuration: {e.Message}", e);
        }
    }

    /// <summary>Checks ranges and combinations.</summary>
    /// <exception cref="InvalidDataException">A value is out of range.</exception>
    public static void Validate(GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MinTrust is < 0 or > 4)
        {
            throw new InvalidDataException("minTrust must be between 0 and 4");
        }

        foreach (var (name, rule) in options.Tools)
        {
            if (rule.MinTrust is < 0 or > 4)
            {
                throw new InvalidDataException($"tools.{name}.minTrust must be between 0 and 4");
            }
        }

        if (options.ShutdownTimeoutSeconds is < 0 or > 3600)
        {
            throw new InvalidDataException("shutdownTimeoutSeconds must be between 0 and 3600");
        }

        try
        {
            options.Limits.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new InvalidDataException($"invalid limit {e.ParamName}", e);
        }
    }
}

/// <summary>Source-generated contract of the configuration file.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UseStringEnumConverter = true,
    PropertyNameCaseInsensitive = false)]
[JsonSerializable(typeof(GatewayOptionsFileModel))]
internal sealed partial class GatewayOptionsJsonContext : JsonSerializerContext;

/// <summary>The file as written: every member optional; absent members keep the defaults of <see cref="GatewayOptions"/>.</summary>
internal sealed class GatewayOptionsFileModel
{
    public string? TrustStore { get; set; }

    public Uri? Authority { get; set; }

    public string? AuthorityName { get; set; }

    public int? MinTrust { get; set; }

    public Dictionary<string, ToolRuleFileModel>? Tools { get; set; }

    public string? Pins { get; set; }

    public bool? StrictPins { get; set; }

    public bool? DisablePins { get; set; }

    public string? AuditDir { get; set; }

    public FailurePolicy? FailurePolicy { get; set; }

    public string? Key { get; set; }

    public string? Passport { get; set; }

    public int? MaxMessageBytes { get; set; }

    public int? MaxDepth { get; set; }

    public double? ShutdownTimeoutSeconds { get; set; }

    public Uri? Upstream { get; set; }

    public string? Listen { get; set; }

    public List<string>? AllowedHosts { get; set; }

    public List<string>? AllowedOrigins { get; set; }

    public GatewayOptions ToOptions()
    {
        var defaults = new GatewayOptions();
        return defaults with
        {
            TrustStore = TrustStore,
            Authority = Authority,
            AuthorityName = AuthorityName ?? defaults.AuthorityName,
            MinTrust = MinTrust ?? defaults.MinTrust,
            Tools = Tools?.ToDictionary(t => t.Key, t => new ToolRule { MinTrust = t.Value.MinTrust, RequireAttestation = t.Value.RequireAttestation ?? false }, StringComparer.Ordinal) ?? defaults.Tools,
            Pins = Pins,
            StrictPins = StrictPins ?? false,
            DisablePins = DisablePins ?? false,
            AuditDir = AuditDir,
            FailurePolicy = FailurePolicy ?? defaults.FailurePolicy,
            Key = Key,
            Passport = Passport,
            MaxMessageBytes = MaxMessageBytes ?? defaults.MaxMessageBytes,
            MaxDepth = MaxDepth ?? defaults.MaxDepth,
            ShutdownTimeoutSeconds = ShutdownTimeoutSeconds ?? defaults.ShutdownTimeoutSeconds,
            Upstream = Upstream,
            Listen = Listen,
            AllowedHosts = AllowedHosts ?? defaults.AllowedHosts,
            AllowedOrigins = AllowedOrigins ?? defaults.AllowedOrigins,
        };
    }
}

/// <summary>A per-tool rule as written in the file.</summary>
internal sealed class ToolRuleFileModel
{
    public int? MinTrust { get; set; }

    public bool? RequireAttestation { get; set; }
}
