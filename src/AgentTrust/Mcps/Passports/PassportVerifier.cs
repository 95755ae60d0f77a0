using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Errors;
using AgentTrust.Mcps.Envelopes;

namespace AgentTrust.Mcps.Passports;

/// <summary>
/// Verifies passports and their issuer chains against a <see cref="PassportTrustStore"/> (mcps.md §7.4): size,
/// strict parse, structure, validity (expiry first), then the chain — each hop verified with the parent's key, the
/// parent carrying <c>passport:issue</c>, at most 5 ancestors, no repeated id or key, ending at a configured anchor.
/// Never throws on bad input.
/// </summary>
public sealed class PassportVerifier
{
    private readonly PassportTrustStore _anchors;
    private readonly McpsVerifierOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Creates a verifier.</summary>
    public PassportVerifier(PassportTrustStore anchors, McpsVerifierOptions? options = null, TimeProvider? time = null)
    {
        _anchors = anchors ?? throw new ArgumentNullException(nameof(anchors));
        _options = options ?? McpsVerifierOptions.Default;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Verifies passport JSON as received.</summary>
    public PassportVerificationResult Verify(ReadOnlySpan<byte> passportJson)
    {
        try
        {
            if (!AgentPassport.TryParse(passportJson, out var passport, out var failure))
            {
                return PassportVerificationResult.Fail(failure!);
            }

            return VerifyParsed(passport!);
        }
#pragma warning disable CA1031 // A verifier fails closed on any internal fault.
        catch (Exception)
#pragma warning restore CA1031
        {
            return PassportVerificationResult.Fail(new McpsFailure(McpsCode.InternalError, McpsReasons.Internal));
        }
    }

    /// <summary>Verifies a parsed passport.</summary>
    public PassportVerificationResult Verify(AgentPassport passport)
    {
        ArgumentNullException.ThrowIfNull(passport);
        try
        {
            return VerifyParsed(passport);
        }
#pragma warning disable CA1031 // A verifier fails closed on any internal fault.
        catch (Exception)
#pragma warning restore CA1031
        {
            return PassportVerificationResult.Fail(new McpsFailure(McpsCode.InternalError, McpsReasons.Internal), passport);
        }
    }

    /// <summary>
    /// Format check (mcp-secure <c>validatePassportFormat</c> plus AgentTrust's validity rules): size, structure,
    /// expiry (MCPS-002, first), then issued-at/lifetime (MCPS-001 <c>bad_validity</c>). No signature is checked.
    /// </summary>
    public McpsFailure? ValidateFormat(ReadOnlySpan<byte> passportJson)
    {
        if (!AgentPassport.TryParse(passportJson, out var passport, out var failure))
        {
            return failure;
        }

        return CheckValidity(passport!);
    }

    /// <summary>Checks the issuer's signature with a key the caller supplies (mcp-secure <c>verifyPassportSignature</c>).</summary>
    public static SignatureStatus VerifySignature(AgentPassport passport, VerificationKey issuerKey, SignatureVerificationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(passport);
        ArgumentNullException.ThrowIfNull(issuerKey);
        if (issuerKey.Algorithm != SignatureAlgorithm.ES256 || !StrictBase64.TryDecode(passport.Signature, out var signature))
        {
            return SignatureStatus.WrongLength;
        }

        return issuerKey.Verify(passport.SigningInput(), signature, options);
    }

    private McpsFailure? CheckValidity(AgentPassport passport)
    {
        var now = _time.GetUtcNow();
        if (now >= passport.ExpiresAt)
        {
            return new McpsFailure(McpsCode.PassportExpired, McpsReasons.Expired);
        }

        if (passport.IssuedAt > now + _options.MaxFutureSkew || passport.IssuedAt >= passport.ExpiresAt
            || (_options.MaxPassportLifetime is { } max && passport.ExpiresAt - passport.IssuedAt > max))
        {
            return new McpsFailure(McpsCode.InvalidPassport, McpsReasons.BadValidity);
        }

        return null;
    }

    private PassportVerificationResult VerifyParsed(AgentPassport passport)
    {
        if (CheckValidity(passport) is { } invalid)
        {
            return PassportVerificationResult.Fail(invalid, passport);
        }

        var signatureOptions = _options.SignatureOptions;
        if (passport.IsSelfIssued)
        {
            return new PassportVerificationResult
            {
                IsValid = true,
                Passport = passport,
                IsSelfIssued = true,
                SelfSignatureValid = VerifySignature(passport, passport.PublicKey, signatureOptions) == SignatureStatus.Valid,
                ClaimedLevel = passport.ClaimedTrustLevel,
                LevelCap = 0,
                ValidFrom = passport.IssuedAt - _options.MaxFutureSkew,
                ValidUntil = passport.ExpiresAt,
            };
        }

        if (passport.IssuerChain.Count > AgentPassport.MaxChainDepth)
        {
            return PassportVerificationResult.Fail(new McpsFailure(McpsCode.ChainTooDeep, McpsReasons.TooDeep), passport);
        }

        var seenIds = new HashSet<string>(StringComparer.Ordinal) { passport.PassportId };
        var seenKeys = new HashSet<string>(StringComparer.Ordinal) { passport.PublicKey.Thumbprint };
        var current = passport;
        var levelCap = 4;
        var ancestors = 0;
        var validFrom = passport.IssuedAt - _options.MaxFutureSkew;
        var validUntil = passport.ExpiresAt;
        while (true)
        {
            if (_anchors.TryGet(current.Issuer, out var anchor))
            {
                if (VerifySignature(current, anchor.Key, signatureOptions) != SignatureStatus.Valid)
                {
                    return Mismatch(passport);
                }

                return new PassportVerificationResult
                {
                    IsValid = true,
                    Passport = passport,
                    ReachesAnchor = true,
                    RootIssuer = anchor.Name,
                    ChainLength = ancestors + 1,
                    ClaimedLevel = passport.ClaimedTrustLevel,
                    LevelCap = Math.Min(levelCap, anchor.MaxTrustLevel),
                    ValidFrom = validFrom,
                    ValidUntil = validUntil,
                };
            }

            if (current.IsSelfIssued || current.IssuerChain.Count == 0)
            {
                return Untrusted(passport, McpsReasons.UntrustedChain);
            }

            if (ancestors + 1 > AgentPassport.MaxChainDepth || current.IssuerChain.Count > AgentPassport.MaxChainDepth)
            {
                return PassportVerificationResult.Fail(new McpsFailure(McpsCode.ChainTooDeep, McpsReasons.TooDeep), passport);
            }

            if (!StrictBase64.TryDecode(current.IssuerChain[0], out var parentJson))
            {
                return Untrusted(passport, McpsReasons.BadField);
            }

            if (!AgentPassport.TryParse(parentJson, out var parent, out var parentFailure))
            {
                return PassportVerificationResult.Fail(parentFailure!, passport);
            }

            if (CheckValidity(parent!) is { } parentInvalid)
            {
                return PassportVerificationResult.Fail(parentInvalid, passport);
            }

            if (!seenIds.Add(parent!.PassportId) || !seenKeys.Add(parent.PublicKey.Thumbprint))
            {
                return Untrusted(passport, McpsReasons.ChainCycle);
            }

            if (!string.Equals(current.Issuer, parent.PassportId, StringComparison.Ordinal)
                && !string.Equals(current.Issuer, parent.AgentName, StringComparison.Ordinal))
            {
                return Untrusted(passport, McpsReasons.UntrustedChain);
            }

            if (VerifySignature(current, parent.PublicKey, signatureOptions) != SignatureStatus.Valid)
            {
                return Mismatch(passport);
            }

            if (_options.RequireIssuerCapability && !parent.HasCapability(AgentPassport.IssueCapability))
            {
                return Untrusted(passport, McpsReasons.UntrustedChain);
            }

            if (current.IssuerChain.Count > 1 && !current.IssuerChain.Skip(1).SequenceEqual(parent.IssuerChain, StringComparer.Ordinal))
            {
                return Untrusted(passport, McpsReasons.UntrustedChain);
            }

            levelCap = Math.Min(levelCap, parent.ClaimedTrustLevel);
            validFrom = parent.IssuedAt - _options.MaxFutureSkew > validFrom ? parent.IssuedAt - _options.MaxFutureSkew : validFrom;
            validUntil = parent.ExpiresAt < validUntil ? parent.ExpiresAt : validUntil;
            ancestors++;
            current = parent;
        }
    }

    private static PassportVerificationResult Untrusted(AgentPassport passport, string reason) =>
        PassportVerificationResult.Fail(new McpsFailure(McpsCode.InvalidPassport, reason), passport);

    private static PassportVerificationResult Mismatch(AgentPassport passport) =>
        PassportVerificationResult.Fail(new McpsFailure(McpsCode.InvalidPassport, McpsReasons.SignatureMismatch), passport);
}
