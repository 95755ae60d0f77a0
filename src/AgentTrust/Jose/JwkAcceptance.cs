using System.Text.Json;
using AgentTrust.Keys;

namespace AgentTrust.Jose;

/// <summary>
/// The one rule deciding whether a published JWK may verify signatures: a valid EC P-256 or OKP Ed25519 public key,
/// no private members, <c>use</c> absent or <c>sig</c>, <c>key_ops</c> absent or containing <c>verify</c>.
/// </summary>
public static class JwkAcceptance
{
    /// <summary>Returns the key when it may be used to verify; otherwise false and why.</summary>
    public static bool TryAcceptForVerification(JsonElement jwk, out JsonWebKey? key, out string? reason)
    {
        key = null;
        if (jwk.ValueKind != JsonValueKind.Object)
        {
            reason = "a JWK must be a JSON object";
            return false;
        }

        if (jwk.TryGetProperty("d", out _))
        {
            reason = "the JWK carries a private key (d); a published key set must hold public keys only";
            return false;
        }

        if (jwk.TryGetProperty("use", out var use) && !(use.ValueKind == JsonValueKind.String && use.ValueEquals("sig")))
        {
            reason = "use is not 'sig'";
            return false;
        }

        if (jwk.TryGetProperty("key_ops", out var ops))
        {
            var verify = false;
            if (ops.ValueKind == JsonValueKind.Array)
            {
                foreach (var op in ops.EnumerateArray())
                {
                    verify |= op.ValueKind == JsonValueKind.String && op.ValueEquals("verify");
                }
            }

            if (!verify)
            {
                reason = "key_ops does not include 'verify'";
                return false;
            }
        }

        if (!JsonWebKey.TryParse(jwk, out key, out reason))
        {
            return false;
        }

        return true;
    }
}
