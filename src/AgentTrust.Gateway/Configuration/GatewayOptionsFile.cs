using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentTrust.Gateway.Configuration;

/// <summary>
/// Reads <see cref="GatewayOptions"/> from a JSON file (comments and trailing commas allowed) or a YAML file
/// (<c>.yaml</c>/<c>.yml</c>: the same members and rules, read strictly, see <see cref="ParseYaml(ReadOnlySpan{byte})"/>). Both forms go
/// through the same contract and the same <see cref="Validate"/>.
/// </summary>
public static class GatewayOptionsFile
{
    /// <summary>Upper bound on the size of a configuration file.</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>Loads a configuration file. Unknown members are an error, so a typo never silently weakens policy.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid configuration.</exception>
    public static GatewayOptions Load(string path) => Load(path, validate: true);

    /// <summary>Loads a file without the final <see cref="Validate"/>, for callers that merge flags first and validate the result.</summary>
    internal static GatewayOptions Load(string path, bool validate)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var info = new FileInfo(path);
        if (info.Length > MaxBytes)
        {
            throw new InvalidDataException($"configuration file larger than {MaxBytes} bytes");
        }

        var bytes = File.ReadAllBytes(path);
        if (bytes.Length > MaxBytes)
        {
            throw new InvalidDataException($"configuration file larger than {MaxBytes} bytes");
        }

        return IsYaml(path) ? ParseYaml(bytes, validate) : Parse(bytes, validate, null);
    }

    /// <summary>True for the file names read as YAML (<c>.yaml</c>, <c>.yml</c>); every other file is read as JSON.</summary>
    internal static bool IsYaml(string path) =>
        path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses configuration JSON.</summary>
    /// <exception cref="InvalidDataException">The JSON is not a valid configuration.</exception>
    public static GatewayOptions Parse(ReadOnlySpan<byte> json) => Parse(json, validate: true, null);

    /// <summary>
    /// Parses configuration YAML (UTF-8): the JSON form's members, written as YAML, converted to the JSON tree the JSON
    /// form is read from. Refused: more than <see cref="MaxBytes"/>, more than one document, anchors and aliases, tags,
    /// duplicate keys, unknown members, wrong types. Only <c>true</c>/<c>false</c> are booleans (<c>yes</c>/<c>on</c>
    /// are text, so a boolean member given one is refused). Errors name the line.
    /// </summary>
    /// <exception cref="InvalidDataException">The YAML is not a valid configuration.</exception>
    public static GatewayOptions ParseYaml(ReadOnlySpan<byte> yaml) => ParseYaml(yaml, validate: true);

    private static GatewayOptions ParseYaml(ReadOnlySpan<byte> yaml, bool validate)
    {
        if (yaml.Length > MaxBytes)
        {
            throw new InvalidDataException($"configuration file larger than {MaxBytes} bytes");
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(yaml);
        }
        catch (System.Text.DecoderFallbackException e)
        {
            throw new InvalidDataException("invalid configuration: the YAML file is not valid UTF-8", e);
        }

        var tree = YamlConfigurationReader.ToJson(text, out var lines);
        return Parse(JsonSerializer.SerializeToUtf8Bytes(tree, GatewayOptionsJsonContext.Default.JsonNode), validate, lines);
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static GatewayOptions Parse(ReadOnlySpan<byte> json, bool validate, IReadOnlyDictionary<string, long>? yamlLines)
    {
        try
        {
            var file = JsonSerializer.Deserialize(json, GatewayOptionsJsonContext.Default.GatewayOptionsFileModel)
                ?? throw new InvalidDataException("configuration is null");
            var options = file.ToOptions();
            if (validate)
            {
                Validate(options);
            }

            return options;
        }
        catch (JsonException e)
        {
            var line = yamlLines is not null && e.Path is { } at && yamlLines.TryGetValue(at, out var l) ? $" (line {l})" : "";
            throw new InvalidDataException($"invalid configuration{line}: {e.Message}", e);
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

            // Both minimums hold: a per-tool rule below the global one would silently open the tool to lower levels.
            if (rule.MinTrust < options.MinTrust)
            {
                throw new InvalidDataException($"tools.{name}.minTrust {rule.MinTrust} is below the global minTrust {options.MinTrust}: per-tool rules can only raise it");
            }
        }

        if (options.ServerPassport is not null && !AgentTrust.Mcps.McpsIdentifiers.IsPassportId(options.ServerPassport))
        {
            throw new InvalidDataException("serverPassport must be a passport id: asp_ followed by 32 lowercase hex characters");
        }

        ValidateAttestation(options);
        if (options.OtlpEndpoint is { } otlp && (!otlp.IsAbsoluteUri || (otlp.Scheme != Uri.UriSchemeHttp && otlp.Scheme != Uri.UriSchemeHttps)))
        {
            throw new InvalidDataException("otlpEndpoint must be an absolute http or https URL");
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

    private static void ValidateAttestation(GatewayOptions options)
    {
        var attestation = options.Attestation;
        var configured = new HashSet<string>(StringComparer.Ordinal);
        foreach (var issuer in attestation.Issuers)
        {
            if (!AgentTrust.Attestation.IssuerUrl.IsAcceptable(issuer.Issuer, out var reason))
            {
                throw new InvalidDataException($"attestation issuer {issuer.Issuer}: {reason}");
            }

            if (string.IsNullOrWhiteSpace(issuer.Jwks))
            {
                throw new InvalidDataException($"attestation issuer {issuer.Issuer} needs its jwks (file or URL)");
            }

            if (!configured.Add(issuer.Issuer))
            {
                throw new InvalidDataException($"attestation issuer {issuer.Issuer} listed twice");
            }
        }

        if (attestation.IsEnabled && string.IsNullOrWhiteSpace(attestation.Audience))
        {
            throw new InvalidDataException("attestation issuers need an audience (--attestation-audience, attestation.audience)");
        }

        foreach (var (name, rule) in options.Tools)
        {
            if (rule.RequireAttestation && !attestation.IsEnabled)
            {
                throw new InvalidDataException($"tools.{name}.requireAttestation needs at least one attestation issuer (--attestation-issuer, attestation.issuers)");
            }

            foreach (var issuer in rule.AttestationIssuers)
            {
                if (!configured.Contains(issuer))
                {
                    throw new InvalidDataException($"tools.{name}.attestationIssuers: {issuer} is not a configured attestation issuer");
                }
            }
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
    PropertyNameCaseInsensitive = false,
    AllowDuplicateProperties = false)]
[JsonSerializable(typeof(GatewayOptionsFileModel))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonNode))]
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

    public string? ReplayStore { get; set; }

    public FailurePolicy? FailurePolicy { get; set; }

    public string? ServerPassport { get; set; }

    public string? Key { get; set; }

    public string? Passport { get; set; }

    public int? MaxMessageBytes { get; set; }

    public int? MaxDepth { get; set; }

    public double? ShutdownTimeoutSeconds { get; set; }

    public Uri? Upstream { get; set; }

    public Uri? OtlpEndpoint { get; set; }

    public string? Listen { get; set; }

    public List<string>? AllowedHosts { get; set; }

    public List<string>? AllowedOrigins { get; set; }

    public AttestationFileModel? Attestation { get; set; }

    public GatewayOptions ToOptions()
    {
        var defaults = new GatewayOptions();
        return defaults with
        {
            TrustStore = TrustStore,
            Authority = Authority,
            AuthorityName = AuthorityName ?? defaults.AuthorityName,
            MinTrust = MinTrust ?? defaults.MinTrust,
            Tools = Tools?.ToDictionary(t => t.Key, t => t.Value?.ToRule() ?? new ToolRule(), StringComparer.Ordinal) ?? defaults.Tools,
            Pins = Pins,
            StrictPins = StrictPins ?? false,
            DisablePins = DisablePins ?? false,
            AuditDir = AuditDir,
            ReplayStore = ReplayStore,
            FailurePolicy = FailurePolicy ?? defaults.FailurePolicy,
            ServerPassport = ServerPassport,
            Key = Key,
            Passport = Passport,
            MaxMessageBytes = MaxMessageBytes ?? defaults.MaxMessageBytes,
            MaxDepth = MaxDepth ?? defaults.MaxDepth,
            ShutdownTimeoutSeconds = ShutdownTimeoutSeconds ?? defaults.ShutdownTimeoutSeconds,
            Upstream = Upstream,
            OtlpEndpoint = OtlpEndpoint,
            Listen = Listen,
            AllowedHosts = AllowedHosts ?? defaults.AllowedHosts,
            AllowedOrigins = AllowedOrigins ?? defaults.AllowedOrigins,
            Attestation = Attestation?.ToSettings() ?? defaults.Attestation,
        };
    }
}

/// <summary>A per-tool rule as written in the file.</summary>
internal sealed class ToolRuleFileModel
{
    public int? MinTrust { get; set; }

    public bool? RequireAttestation { get; set; }

    public List<string>? AttestationIssuers { get; set; }

    public ToolRule ToRule() => new() { MinTrust = MinTrust, RequireAttestation = RequireAttestation ?? false, AttestationIssuers = AttestationIssuers ?? [] };
}

/// <summary>The <c>attestation</c> member as written in the file.</summary>
internal sealed class AttestationFileModel
{
    public List<AttestationIssuerFileModel>? Issuers { get; set; }

    public string? Audience { get; set; }

    public string? Mode { get; set; }

    public AttestationSettings ToSettings()
    {
        var mode = AgentTrust.Attestation.AttestationPolicyMode.Optional;
        if (Mode is not null && !AgentTrust.Attestation.AttestationNames.TryParsePolicyMode(Mode, out mode))
        {
            throw new InvalidDataException("attestation.mode must be required, preferred or optional");
        }

        return new AttestationSettings
        {
            Issuers = Issuers?.Select(i => new AttestationIssuerSetting(i?.Issuer ?? "", i?.Jwks ?? "")).ToList() ?? [],
            Audience = Audience,
            Mode = mode,
        };
    }
}

/// <summary>One issuer as written in the file.</summary>
internal sealed class AttestationIssuerFileModel
{
    public string? Issuer { get; set; }

    public string? Jwks { get; set; }
}
