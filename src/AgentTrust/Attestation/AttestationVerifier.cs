using System.Diagnostics;
using System.Text.Json;
using AgentTrust.Jose;
using AgentTrust.Replay;

namespace AgentTrust.Attestation;

/// <summary>
/// Verifies attestation tokens step by step (attestation.md §4): size and encoding, header (<c>alg</c> allow-list,
/// <c>typ</c>, <c>kid</c>, no <c>crit</c>), unverified <c>iss</c> against the allow-list, key by <c>(iss, kid)</c>,
/// signature, time (one skew at every boundary, bounded <c>iat</c> and lifetime), audience (mandatory), <c>jti</c> and
/// SPIFFE <c>sub</c>, schema, policy (type, safety, integrity, <c>cnf</c>), and last the atomic replay insert of
/// <c>(iss, jti)</c> until <c>exp + S</c>, so a rejected token never consumes its <c>jti</c>. A repeated token is served
/// from a bounded cache keyed by SHA-256 of the token (<see cref="AttestationVerifierOptions.VerificationCacheSize"/>),
/// which skips decoding, signature and schema only. Never throws on bad input; any internal fault is a rejection.
/// </summary>
public sealed class AttestationVerifier
{
    private readonly AttestationVerifierOptions _options;
    private readonly Dictionary<string, TrustedIssuer> _issuers;
    private readonly JwtClaimsValidator _claims;
    private readonly JwsParseOptions _parse;
    private readonly AttestationVerificationCache? _cache;

    /// <summary>Creates a verifier.</summary>
    /// <exception cref="ArgumentException">No audience, no issuer, or a negative skew/lifetime.</exception>
    public AttestationVerifier(AttestationVerifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Audience))
        {
            throw new ArgumentException("A server verifier needs an audience (its own identifier).", nameof(options));
        }

        if (options.Issuers is null || options.Issuers.Count == 0)
        {
            throw new ArgumentException("At least one trusted issuer is required.", nameof(options));
        }

        ArgumentNullException.ThrowIfNull(options.ReplayStore);
        if (options.ClockSkew < TimeSpan.Zero || options.MaxLifetime <= TimeSpan.Zero || options.MaxTokenBytes <= 0 || options.VerificationCacheSize < 0)
        {
            throw new ArgumentException("Skew and cache size must be ≥ 0, lifetime and token size > 0.", nameof(options));
        }

        _options = options;
        _issuers = new Dictionary<string, TrustedIssuer>(StringComparer.Ordinal);
        foreach (var issuer in options.Issuers)
        {
            if (!_issuers.TryAdd(issuer.Issuer, issuer))
            {
                throw new ArgumentException($"Issuer {issuer.Issuer} is configured twice.", nameof(options));
            }
        }

        _claims = new JwtClaimsValidator(new JwtValidationOptions
        {
            Audience = options.Audience,
            ClockSkew = options.ClockSkew,
            MaxLifetime = options.MaxLifetime,
            RequireExpiration = true,
            RequireIssuedAt = true,
            TimeProvider = options.TimeProvider,
        });
        _parse = JwsParseOptions.Default with { MaxTokenLength = options.MaxTokenBytes, RequireJsonPayload = true };
        _cache = options.VerificationCacheSize > 0 ? new AttestationVerificationCache(options.VerificationCacheSize, options.TimeProvider) : null;
    }

    /// <summary>Tokens held by the verification cache (tests and diagnostics).</summary>
    internal int CachedTokens => _cache?.Count ?? 0;

    /// <summary>The options in force.</summary>
    public AttestationVerifierOptions Options => _options;

    /// <summary>Verifies <paramref name="token"/> (null or empty = not presented) as carried by <paramref name="presentation"/>.</summary>
    public async ValueTask<AttestationVerdict> VerifyAsync(string? token, AttestationPresentation? presentation = null, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        using var activity = AttestationActivity.Source.StartActivity("attestation.verify");
        _options.Metrics?.Started();
        string issuerTag = "untrusted";
        AttestationVerdict verdict;
        try
        {
            (verdict, issuerTag) = await VerifyCoreAsync(token, presentation ?? AttestationPresentation.Initialize, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _options.Metrics?.Finished(AttestationVerdict.Rejected(_options.Mode, AttestationReason.InternalError), issuerTag, Stopwatch.GetElapsedTime(started));
            throw;
        }
#pragma warning disable CA1031 // A verifier fault is a rejection (fail closed), never an exception to the caller.
        catch (Exception)
#pragma warning restore CA1031
        {
            verdict = AttestationVerdict.Rejected(_options.Mode, AttestationReason.InternalError);
        }

        _options.Metrics?.Finished(verdict, issuerTag, Stopwatch.GetElapsedTime(started));
        _options.Hooks?.Raise(verdict);
        if (activity is not null)
        {
            activity.SetTag("attestation.issuer", issuerTag);
            activity.SetTag("attestation.outcome", verdict.Verified ? "verified" : verdict.Reason == AttestationReason.Missing ? "missing" : "rejected");
            activity.SetTag("attestation.reason", verdict.Reason.ToWireName());
            activity.SetStatus(verdict.Verified ? ActivityStatusCode.Ok : ActivityStatusCode.Error);
        }

        return verdict;
    }

    private async ValueTask<(AttestationVerdict, string)> VerifyCoreAsync(string? token, AttestationPresentation presentation, CancellationToken cancellationToken)
    {
        var mode = _options.Mode;
        const string untrusted = "untrusted";

        // 1. Missing.
        if (string.IsNullOrEmpty(token))
        {
            return (AttestationVerdict.Rejected(mode, AttestationReason.Missing), untrusted);
        }

        // A token whose signature and schema were already verified: only the checks that depend on the key set, the
        // clock and this presentation run again. The length bound comes before hashing.
        AttestationVerificationCache.TokenDigest digest = default;
        var cacheable = _cache is not null && token.Length <= _options.MaxTokenBytes;
        if (cacheable)
        {
            digest = AttestationVerificationCache.Digest(token);
            var hit = _cache!.TryGet(digest, out var entry);
            _options.Metrics?.CacheLookup(hit);
            Activity.Current?.SetTag("attestation.cache", hit ? "hit" : "miss");
            if (hit)
            {
                if (await VerifyCachedAsync(entry!, presentation, cancellationToken).ConfigureAwait(false) is { } cached)
                {
                    return (cached, entry!.Issuer.Issuer);
                }

                // The key that verified it is no longer the issuer's key for this kid: verify from scratch.
                _cache.Remove(digest);
            }
        }

        // 2–4. Size, segments, strict base64url, strict JSON header and payload, alg allow-list, crit.
        if (!CompactJws.TryParse(token, _parse, out var jws, out var status, out _))
        {
            return (AttestationVerdict.Rejected(mode, status switch
            {
                JwsStatus.AlgorithmRejected => AttestationReason.BadAlgorithm,
                JwsStatus.CriticalHeader or JwsStatus.UnencodedPayload => AttestationReason.Critical,
                _ => AttestationReason.Malformed,
            }), untrusted);
        }

        var header = jws!.Header;
        if (header.Type is null ? !_options.AllowMissingTyp
            : !(string.Equals(header.Type, "JWT", StringComparison.OrdinalIgnoreCase) || string.Equals(header.Type, "agent-attestation+jwt", StringComparison.OrdinalIgnoreCase)))
        {
            return (AttestationVerdict.Rejected(mode, AttestationReason.BadType), untrusted);
        }

        if (header.KeyId is not { Length: > 0 and <= 256 })
        {
            return (AttestationVerdict.Rejected(mode, AttestationReason.MissingKeyId), untrusted);
        }

        var payload = jws.PayloadJson!.Value;
        if (!payload.TryGetProperty("iss", out var issElement) || issElement.ValueKind != JsonValueKind.String)
        {
            return (AttestationVerdict.Rejected(mode, AttestationReason.MissingIssuer), untrusted);
        }

        // 5. Issuer allow-list, byte for byte, before any key lookup.
        if (!_issuers.TryGetValue(issElement.GetString()!, out var issuer))
        {
            return (AttestationVerdict.Rejected(mode, AttestationReason.UntrustedIssuer), untrusted);
        }

        var tag = issuer.Issuer;
        if (!issuer.AllowedAlgorithms.Contains(header.Algorithm))
        {
            return (AttestationVerdict.Rejected(mode, AttestationReason.BadAlgorithm), tag);
        }

        // 6. Key by (iss, kid) from that issuer's key source only.
        JwsKeyResolution resolution;
        try
        {
            resolution = await issuer.Keys.ResolveAsync(header.KeyId, header.Algorithm, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            resolution = JwsKeyResolution.Failed(JwsStatus.KeySourceUnavailable, "key source failed");
        }

        if (resolution.Key is null)
        {
            var reason = resolution.Status == JwsStatus.KeySourceUnavailable ? AttestationReason.JwksUnavailable : AttestationReason.UnknownKeyId;
            return (AttestationVerdict.Rejected(mode, reason), tag);
        }

        // 7. Signature (key type bound to alg; ES256 low-S).
        switch (jws.VerifySignature(resolution.Key, null, out _))
        {
            case JwsStatus.Valid:
                break;
            case JwsStatus.KeyAlgorithmMismatch:
                return (AttestationVerdict.Rejected(mode, AttestationReason.KeyAlgorithmMismatch), tag);
            default:
                return (AttestationVerdict.Rejected(mode, AttestationReason.BadSignature), tag);
        }

        // 8–9. Time and audience (mandatory).
        var timeAndAudience = CheckTimeAndAudience(payload);
        if (timeAndAudience != AttestationReason.None)
        {
            return (AttestationVerdict.Rejected(mode, timeAndAudience), tag);
        }

        // 10. jti and sub.
        var jti = payload.TryGetProperty("jti", out var jtiElement) && jtiElement.ValueKind == JsonValueKind.String ? jtiElement.GetString() : null;
        if (!AttestationClaimsReader.IsValidJti(jti))
        {
            return (AttestationVerdict.Rejected(mode, AttestationReason.MissingJti), tag);
        }

        var sub = payload.TryGetProperty("sub", out var subElement) && subElement.ValueKind == JsonValueKind.String ? subElement.GetString() : null;
        if (!IsAcceptableSubject(sub, issuer))
        {
            return (AttestationVerdict.Rejected(mode, AttestationReason.BadSubject), tag);
        }

        // 11. Required claims and schema.
        var schema = AttestationClaimsReader.TryRead(payload, _options.RequiredClaims, sub!, jti!, out var claims, out var unknown);
        if (schema != AttestationReason.None)
        {
            return (AttestationVerdict.Rejected(mode, schema), tag);
        }

        var expiry = DateTimeOffset.FromUnixTimeSeconds(claims!.ExpiresAt) + _options.ClockSkew;
        if (cacheable)
        {
            _cache!.Add(digest, new AttestationVerificationCache.Entry(issuer, header.KeyId, header.Algorithm, resolution.Key, payload, claims, unknown, expiry));
        }

        return (await FinishAsync(claims, unknown, issuer, presentation, cancellationToken).ConfigureAwait(false), tag);
    }

    // A cache hit: the same key must still be the issuer's key for this kid (rotation or withdrawal makes it a miss,
    // returned as null), then time and audience against the clock now, then policy and replay as for a fresh token.
    private async ValueTask<AttestationVerdict?> VerifyCachedAsync(AttestationVerificationCache.Entry entry, AttestationPresentation presentation, CancellationToken cancellationToken)
    {
        JwsKeyResolution resolution;
        try
        {
            resolution = await entry.Issuer.Keys.ResolveAsync(entry.KeyId, entry.Algorithm, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return null;
        }

        if (resolution.Key is null || !resolution.Key.Equals(entry.Key))
        {
            return null;
        }

        var timeAndAudience = CheckTimeAndAudience(entry.Payload);
        return timeAndAudience != AttestationReason.None
            ? AttestationVerdict.Rejected(_options.Mode, timeAndAudience)
            : await FinishAsync(entry.Claims, entry.UnknownClaims, entry.Issuer, presentation, cancellationToken).ConfigureAwait(false);
    }

    private AttestationReason CheckTimeAndAudience(JsonElement payload)
    {
        var time = _claims.ValidateTimes(payload);
        if (!time.IsValid)
        {
            return time.Status switch
            {
                JwtClaimStatus.Expired => AttestationReason.Expired,
                JwtClaimStatus.NotYetValid => AttestationReason.NotYetValid,
                JwtClaimStatus.IssuedInFuture => AttestationReason.IssuedInFuture,
                JwtClaimStatus.LifetimeTooLong => AttestationReason.LifetimeTooLong,
                JwtClaimStatus.MissingClaim => AttestationReason.MissingClaim,
                _ => AttestationReason.BadClaim,
            };
        }

        return _claims.ValidateAudience(payload).IsValid ? AttestationReason.None : AttestationReason.AudienceMismatch;
    }

    // Steps 12–14, which depend on the presentation: policy (cnf against this signer), replay last, success.
    private async ValueTask<AttestationVerdict> FinishAsync(AttestationClaims claims, IReadOnlyList<string> unknown, TrustedIssuer issuer, AttestationPresentation presentation, CancellationToken cancellationToken)
    {
        var mode = _options.Mode;

        // 12. Policy.
        var policy = CheckPolicy(claims, issuer, presentation);
        if (policy != AttestationReason.None)
        {
            return AttestationVerdict.Rejected(mode, policy);
        }

        // 13. Replay, last and atomic. A store that may have lost jtis in an unclean restart cannot vouch for a token
        // that could have been used before it (iat at or before the fence plus the skew an iat may run ahead).
        if (_options.ReplayStore.RestartFence is { } fence && DateTimeOffset.FromUnixTimeSeconds(claims.IssuedAt) <= fence + _options.ClockSkew)
        {
            return AttestationVerdict.Rejected(mode, AttestationReason.IssuedBeforeRestartFence);
        }

        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(claims.ExpiresAt) + _options.ClockSkew;
        // The first MCPS presenter of an unbound stateless token is recorded with the jti, atomically and in the shared
        // store, so every server instance applies the same §3.3 rule.
        var holder = presentation.Stateless && claims.ConfirmationThumbprint is null ? presentation.PresenterId : null;
        var registration = await _options.ReplayStore.TryRegisterAsync(issuer.Issuer, claims.JwtId, expiresAt, holder, cancellationToken).ConfigureAwait(false);
        var replayReason = registration.Result switch
        {
            ReplayCheckResult.Accepted => AttestationReason.None,
            ReplayCheckResult.Replayed when IsPermittedRepresentation(claims, presentation, registration) => AttestationReason.None,
            ReplayCheckResult.Replayed => AttestationReason.Replay,
            ReplayCheckResult.CapacityExceeded => AttestationReason.ReplayStoreFull,
            _ => AttestationReason.ReplayStoreUnavailable,
        };
        if (replayReason != AttestationReason.None)
        {
            return AttestationVerdict.Rejected(mode, replayReason);
        }

        // 14. Success.
        var level = claims.AttestationType == AttestationType.Enterprise ? AttestationTrustLevel.Enterprise : AttestationTrustLevel.Provider;
        return new AttestationVerdict(mode, AttestationReason.None, claims, unknown, level);
    }

    private bool IsAcceptableSubject(string? sub, TrustedIssuer issuer)
    {
        if (string.IsNullOrEmpty(sub))
        {
            return false;
        }

        if (!SpiffeId.TryParse(sub, out var spiffe, out _))
        {
            return _options.AllowNonSpiffeSubject && issuer.SpiffeTrustDomain is null;
        }

        return issuer.SpiffeTrustDomain is null || string.Equals(spiffe!.TrustDomain, issuer.SpiffeTrustDomain, StringComparison.Ordinal);
    }

    private AttestationReason CheckPolicy(AttestationClaims claims, TrustedIssuer issuer, AttestationPresentation presentation)
    {
        if (!issuer.AllowedAttestationTypes.Contains(claims.AttestationType))
        {
            return AttestationReason.TypeNotAllowed;
        }

        if (_options.MinSafetyLevel is { } minimum && claims.SafetyLevel < minimum)
        {
            return AttestationReason.SafetyBelowMinimum;
        }

        if ((_options.ExpectedConfigHash is { } config && !string.Equals(claims.Integrity?.ConfigHash, config, StringComparison.Ordinal))
            || (_options.ExpectedSystemPromptHash is { } prompt && !string.Equals(claims.Integrity?.SystemPromptHash, prompt, StringComparison.Ordinal)))
        {
            return AttestationReason.IntegrityMismatch;
        }

        if (claims.ConfirmationThumbprint is { } bound && !string.Equals(bound, presentation.SignerThumbprint, StringComparison.Ordinal))
        {
            return AttestationReason.ConfirmationMismatch;
        }

        return AttestationReason.None;
    }

    // attestation.md §3.3: under the stateless revision a token bound by cnf to the key that signed this request may
    // ride on many requests (cnf was checked in step 12); an unbound token only from the MCPS presenter that first
    // used it (the holder the replay store recorded with the jti; a store that records no holder fails closed), or
    // with AllowBearerReuse.
    private bool IsPermittedRepresentation(AttestationClaims claims, AttestationPresentation presentation, ReplayRegistration registration) =>
        presentation.Stateless && (claims.ConfirmationThumbprint is not null
            || _options.AllowBearerReuse
            || registration.IsReplayBy(presentation.PresenterId));
}
