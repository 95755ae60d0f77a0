using System.Text.Json.Nodes;
using AgentTrust.Errors;
using AgentTrust.Mcps;
using AgentTrust.Mcps.Passports;
using AgentTrust.Mcps.Tools;

namespace AgentTrust.Gateway.Pinning;

/// <summary>
/// Verifies the signature container of a listed tool (mcps.md §10.2, both profiles): the signer's passport is found
/// through the gateway's trust sources and verified (chain, expiry, and for an anchored passport its revocation status
/// under the gateway's failure policy: MCPS-003/007), its <c>author_origin</c> must match the passport's
/// origin (MCPS-011), and the signature must cover the tool as received (MCPS-008 <c>tool_signature_mismatch</c>).
/// A signature that cannot be checked (no trust sources, signer unknown, authority unreachable) is refused, never
/// passed unverified: a server that signs its tools expects them checked.
/// </summary>
internal sealed class ToolSignatureCheck
{
    private readonly PassportVerifier _passports;
    private readonly IPassportResolver? _resolver;
    private readonly IPassportStatusProvider? _status;
    private readonly StatusPolicy _statusPolicy;

    public ToolSignatureCheck(PassportTrustStore anchors, IPassportResolver? resolver, IPassportStatusProvider? status, StatusPolicy statusPolicy, TimeProvider time)
    {
        _passports = new PassportVerifier(anchors, Mcps.Envelopes.McpsVerifierOptions.Default, time);
        _resolver = resolver;
        _status = status;
        _statusPolicy = statusPolicy;
    }

    /// <summary>True when the tool carries a signature container.</summary>
    public static bool IsSigned(JsonObject tool) => tool["_meta"] is JsonObject meta && meta.ContainsKey(ToolSignatureProfiles.ContainerKey);

    /// <summary>Null when the signature verifies; the failure otherwise. Never throws on bad input.</summary>
    public async ValueTask<McpsFailure?> CheckAsync(JsonObject tool, CancellationToken cancellationToken)
    {
        if (tool["_meta"]?[ToolSignatureProfiles.ContainerKey] is not JsonObject container
            || container["passport_id"] is not JsonValue idValue || !idValue.TryGetValue<string>(out var passportId) || !McpsIdentifiers.IsPassportId(passportId))
        {
            return new McpsFailure(McpsCode.ToolIntegrityFailed, McpsReasons.ToolSignatureMismatch);
        }

        if (_resolver is null)
        {
            return new McpsFailure(McpsCode.InvalidPassport, McpsReasons.UnknownPassport);
        }

        ReadOnlyMemory<byte>? passportJson;
        try
        {
            passportJson = await _resolver.ResolveAsync(passportId, cancellationToken).ConfigureAwait(false);
        }
        catch (PassportResolutionException)
        {
            return new McpsFailure(McpsCode.AuthorityUnreachable, McpsReasons.StatusUnavailable);
        }

        if (passportJson is not { } bytes)
        {
            return new McpsFailure(McpsCode.InvalidPassport, McpsReasons.UnknownPassport);
        }

        var passport = _passports.Verify(bytes.Span);
        if (!passport.IsValid || passport.Passport is not { } signer || signer.PassportId != passportId
            || (!passport.ReachesAnchor && !passport.SelfSignatureValid))
        {
            return new McpsFailure(passport.Code ?? McpsCode.InvalidPassport, passport.Reason ?? McpsReasons.UnknownPassport);
        }

        if (passport.ReachesAnchor && await CheckStatusAsync(passportId, cancellationToken).ConfigureAwait(false) is { } statusFailure)
        {
            return statusFailure;
        }

        var result = ToolSignature.Verify(tool, signer.PublicKey, signer.Origin);
        return result.IsValid ? null : new McpsFailure(result.Code ?? McpsCode.ToolIntegrityFailed, result.Reason ?? McpsReasons.ToolSignatureMismatch);
    }

    // The author's passport must not be revoked: the gateway's status source under its failure policy, as for messages.
    private async ValueTask<McpsFailure?> CheckStatusAsync(string passportId, CancellationToken cancellationToken)
    {
        if (_statusPolicy == StatusPolicy.None)
        {
            return null;
        }

        var status = await PassportStatusCheck.TryGetAsync(_status, passportId, cancellationToken).ConfigureAwait(false);
        return PassportStatusCheck.Refusal(status, _statusPolicy);
    }
}
