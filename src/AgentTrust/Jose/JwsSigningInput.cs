namespace AgentTrust.Jose;

/// <summary>
/// Builds the JWS signing input (RFC 7515 §5.1): the ASCII bytes of <c>BASE64URL(header) "." BASE64URL(payload)</c>.
/// The signer and the verifier both call this one function.
/// </summary>
public static class JwsSigningInput
{
    /// <summary>Returns the signing input for the two encoded segments.</summary>
    public static byte[] Create(ReadOnlySpan<char> encodedHeader, ReadOnlySpan<char> encodedPayload)
    {
        var bytes = new byte[encodedHeader.Length + 1 + encodedPayload.Length];
        var written = System.Text.Encoding.ASCII.GetBytes(encodedHeader, bytes);
        bytes[written] = (byte)'.';
        _ = System.Text.Encoding.ASCII.GetBytes(encodedPayload, bytes.AsSpan(written + 1));
        return bytes;
    }
}
