using AgentTrust.Cryptography;

namespace AgentTrust.Jose;

/// <summary>The verdict of <see cref="JwsVerifier"/>: a status, a short reason when rejected, and the parsed token when it verified.</summary>
public sealed class JwsVerificationResult
{
    private JwsVerificationResult(JwsStatus status, string? reason, CompactJws? token, SignatureStatus? signatureStatus = null)
    {
        Status = status;
        Reason = reason;
        Token = token;
        SignatureStatus = signatureStatus;
    }

    /// <summary>The signature primitive's verdict when the signature was checked (for example <see cref="Cryptography.SignatureStatus.HighS"/>); null when verification stopped earlier.</summary>
    public SignatureStatus? SignatureStatus { get; }

    /// <summary>The outcome.</summary>
    public JwsStatus Status { get; }

    /// <summary>Why the token was rejected (null when valid). A fixed short text, never containing key material.</summary>
    public string? Reason { get; }

    /// <summary>The verified token (null unless <see cref="IsValid"/>).</summary>
    public CompactJws? Token { get; }

    /// <summary>True when the signature verified.</summary>
    public bool IsValid => Status == JwsStatus.Valid;

    internal static JwsVerificationResult Valid(CompactJws token) => new(JwsStatus.Valid, null, token);

    internal static JwsVerificationResult FromSignature(CompactJws token, JwsStatus status, SignatureStatus signatureStatus) => status switch
    {
        JwsStatus.Valid => new(JwsStatus.Valid, null, token, signatureStatus),
        JwsStatus.KeyAlgorithmMismatch => new(status, $"header alg {token.Header.Algorithm.ToIdentifier()} does not match the key type", null),
        _ => new(status, $"signature rejected: {signatureStatus}", null, signatureStatus),
    };

    internal static JwsVerificationResult Rejected(JwsStatus status, string? reason) => new(status, reason ?? status.ToString(), null);
}
