namespace AgentTrust.Cryptography;

/// <summary>The only two signature algorithms AgentTrust accepts anywhere.</summary>
public enum SignatureAlgorithm
{
    /// <summary>ECDSA on P-256 with SHA-256, IEEE P1363 <c>r‖s</c> signatures of 64 bytes, low-S.</summary>
    ES256 = 1,

    /// <summary>Ed25519 (RFC 8032), 64-byte signatures.</summary>
    EdDSA = 2,
}

/// <summary>Parsing and naming of <see cref="SignatureAlgorithm"/> identifiers.</summary>
public static class SignatureAlgorithms
{
    /// <summary>The JOSE identifier of ES256.</summary>
    public const string ES256Name = "ES256";

    /// <summary>The JOSE identifier of EdDSA.</summary>
    public const string EdDSAName = "EdDSA";

    /// <summary>Returns the JOSE identifier (<c>ES256</c> or <c>EdDSA</c>).</summary>
    public static string ToIdentifier(this SignatureAlgorithm algorithm) => algorithm switch
    {
        SignatureAlgorithm.ES256 => ES256Name,
        SignatureAlgorithm.EdDSA => EdDSAName,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>
    /// Parses an algorithm identifier exactly (case-sensitive). Anything but <c>ES256</c> and <c>EdDSA</c>
    /// is refused; <paramref name="rejection"/> then says why, naming <c>none</c>, HMAC and RSA explicitly.
    /// </summary>
    public static bool TryParse(string? identifier, out SignatureAlgorithm algorithm, out string? rejection)
    {
        algorithm = default;
        rejection = null;
        switch (identifier)
        {
            case ES256Name:
                algorithm = SignatureAlgorithm.ES256;
                return true;
            case EdDSAName:
                algorithm = SignatureAlgorithm.EdDSA;
                return true;
            case null or "":
                rejection = "algorithm missing";
                return false;
        }

        rejection = identifier.ToUpperInvariant() switch
        {
            "NONE" => "algorithm 'none' is never accepted (unsigned tokens are rejected)",
            var s when s.StartsWith("HS", StringComparison.Ordinal) => $"HMAC algorithm '{identifier}' is not accepted (only ES256 and EdDSA)",
            var s when s.StartsWith("RS", StringComparison.Ordinal) || s.StartsWith("PS", StringComparison.Ordinal) => $"RSA algorithm '{identifier}' is not accepted (only ES256 and EdDSA)",
            _ => $"algorithm '{identifier}' is not accepted (only ES256 and EdDSA)",
        };
        return false;
    }
}
