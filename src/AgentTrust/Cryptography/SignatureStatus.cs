namespace AgentTrust.Cryptography;

/// <summary>The outcome of a signature verification, with the reason when it fails.</summary>
public enum SignatureStatus
{
    /// <summary>The signature verifies.</summary>
    Valid = 0,

    /// <summary>The signature is not exactly 64 bytes.</summary>
    WrongLength,

    /// <summary>An ECDSA <c>r</c> or <c>s</c> is zero or not below the group order.</summary>
    OutOfRange,

    /// <summary>An ECDSA signature has <c>s &gt; n/2</c> and the verifier does not accept high-S.</summary>
    HighS,

    /// <summary>The signature is well-formed but does not verify under this key.</summary>
    Mismatch,
}

/// <summary>Options of signature verification.</summary>
public sealed record SignatureVerificationOptions
{
    /// <summary>The strict default: low-S only.</summary>
    public static SignatureVerificationOptions Default { get; } = new();

    /// <summary>Compatibility profile that accepts high-S ECDSA signatures (for signers such as cloud KMS that do not normalise).</summary>
    public static SignatureVerificationOptions HighSCompatible { get; } = new() { AcceptHighS = true };

    /// <summary>Accept ECDSA signatures with <c>s &gt; n/2</c>. Off by default.</summary>
    public bool AcceptHighS { get; init; }
}
