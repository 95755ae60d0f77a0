namespace AgentTrust.Attestation;

/// <summary>How a server treats attestation (attestation.md §6).</summary>
public enum AttestationPolicyMode
{
    /// <summary>A token is mandatory; anything but a verified token is refused.</summary>
    Required = 0,

    /// <summary>An absent token proceeds unattested; a present token that fails is refused.</summary>
    Preferred,

    /// <summary>An absent or failing token proceeds unattested (failures are counted and logged).</summary>
    Optional,
}

/// <summary>The declared safety level of the model, ordered <c>minimal &lt; standard &lt; enhanced</c>.</summary>
public enum SafetyLevel
{
    /// <summary><c>minimal</c>.</summary>
    Minimal = 1,

    /// <summary><c>standard</c>.</summary>
    Standard = 2,

    /// <summary><c>enhanced</c>.</summary>
    Enhanced = 3,
}

/// <summary>Who attests the model (<c>attestation_metadata.attestation_type</c>).</summary>
public enum AttestationType
{
    /// <summary><c>provider</c>: the model provider.</summary>
    Provider = 1,

    /// <summary><c>enterprise</c>: the deploying organisation.</summary>
    Enterprise = 2,
}

/// <summary>The attestation trust level, ordered <c>none &lt; enterprise &lt; provider</c> (attestation.md §7).</summary>
public enum AttestationTrustLevel
{
    /// <summary>No verified attestation.</summary>
    None = 0,

    /// <summary>Attested by an enterprise issuer.</summary>
    Enterprise = 1,

    /// <summary>Attested by the model provider.</summary>
    Provider = 2,
}

/// <summary>Wire names of the attestation enums.</summary>
public static class AttestationNames
{
    /// <summary>The capability key under <c>capabilities.experimental</c>.</summary>
    public const string CapabilityKey = "security.attestation";

    /// <summary>The protocol version emitted.</summary>
    public const string Version = "0.1.0";

    /// <summary><c>required</c>, <c>preferred</c>, <c>optional</c>.</summary>
    public static string ToWireName(this AttestationPolicyMode mode) => mode switch
    {
        AttestationPolicyMode.Required => "required",
        AttestationPolicyMode.Preferred => "preferred",
        _ => "optional",
    };

    /// <summary><c>minimal</c>, <c>standard</c>, <c>enhanced</c>.</summary>
    public static string ToWireName(this SafetyLevel level) => level switch
    {
        SafetyLevel.Minimal => "minimal",
        SafetyLevel.Enhanced => "enhanced",
        _ => "standard",
    };

    /// <summary><c>provider</c>, <c>enterprise</c>.</summary>
    public static string ToWireName(this AttestationType type) => type == AttestationType.Enterprise ? "enterprise" : "provider";

    /// <summary><c>none</c>, <c>enterprise</c>, <c>provider</c>.</summary>
    public static string ToWireName(this AttestationTrustLevel level) => level switch
    {
        AttestationTrustLevel.Provider => "provider",
        AttestationTrustLevel.Enterprise => "enterprise",
        _ => "none",
    };

    /// <summary>Parses a policy mode name exactly.</summary>
    public static bool TryParsePolicyMode(string? text, out AttestationPolicyMode mode)
    {
        (var ok, mode) = text switch
        {
            "required" => (true, AttestationPolicyMode.Required),
            "preferred" => (true, AttestationPolicyMode.Preferred),
            "optional" => (true, AttestationPolicyMode.Optional),
            _ => (false, AttestationPolicyMode.Required),
        };
        return ok;
    }

    /// <summary>Parses a safety level name exactly.</summary>
    public static bool TryParseSafetyLevel(string? text, out SafetyLevel level)
    {
        (var ok, level) = text switch
        {
            "minimal" => (true, SafetyLevel.Minimal),
            "standard" => (true, SafetyLevel.Standard),
            "enhanced" => (true, SafetyLevel.Enhanced),
            _ => (false, SafetyLevel.Standard),
        };
        return ok;
    }

    /// <summary>Parses an attestation type name exactly.</summary>
    public static bool TryParseAttestationType(string? text, out AttestationType type)
    {
        (var ok, type) = text switch
        {
            "provider" => (true, AttestationType.Provider),
            "enterprise" => (true, AttestationType.Enterprise),
            _ => (false, AttestationType.Provider),
        };
        return ok;
    }
}
