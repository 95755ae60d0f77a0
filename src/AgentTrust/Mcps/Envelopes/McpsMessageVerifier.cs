using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Errors;
using AgentTrust.Json;
using AgentTrust.Mcps.Passports;
using AgentTrust.Mcps.Replay;
using AgentTrust.Mcps.Versions;

namespace AgentTrust.Mcps.Envelopes;

/// <summary>
/// Verifies signed JSON-RPC messages in the order of mcps.md §6: bounds, strict parse, envelope, fields, window,
/// signature encoding, passport and chain, signature, audience/origin, reply binding, status, trust level, runtime
/// attestation, and the nonce LAST. Never throws on bad input: every outcome is a <see cref="McpsVerificationResult"/>;
/// an internal fault yields MCPS-025 (fail closed).
/// </summary>
public sealed class McpsMessageVerifier
{
    private readonly McpsVerifierOptions _options;
    private readonly TimeProvider _time;
    private readonly PassportVerifier _passports;
    private readonly IPassportResolver? _resolver;
    private readonly INonceStore? _nonces;
    private readonly IPassportStatusProvider? _status;
    private readonly Dictionary<byte[], PassportVerificationResult> _passportCache = new(ExactBytesComparer.Instance);
    private const int PassportCacheSize = 4096;
    private readonly Dictionary<string, PassportStatus> _statusCache = new(StringComparer.Ordinal);

    // The _meta members Prepare locates in one pass: the container first, then those read after the signature check.
    private static readonly string[] MetaMemberNames =
        [McpsEnvelopeConstants.MetaKey, McpsEnvelopeConstants.PassportMetaKey, McpsEnvelopeConstants.ReplyToMetaKey, McpsEnvelopeConstants.AudienceMetaKey];

    /// <summary>Creates a verifier.</summary>
    /// <param name="options">The profile (default <see cref="McpsVerifierOptions.Default"/>).</param>
    /// <param name="time">The clock.</param>
    /// <param name="anchors">The trust anchors passports chain to (default: none, so only self-issued passports, at level 0).</param>
    /// <param name="nonces">The replay store; required by <see cref="VerifyAsync"/>.</param>
    /// <param name="resolver">Where passports not embedded in the message are found.</param>
    /// <param name="status">Where revocation status comes from.</param>
    public McpsMessageVerifier(
        McpsVerifierOptions? options = null,
        TimeProvider? time = null,
        PassportTrustStore? anchors = null,
        INonceStore? nonces = null,
        IPassportResolver? resolver = null,
        IPassportStatusProvider? status = null)
    {
        _options = options ?? McpsVerifierOptions.Default;
        _time = time ?? TimeProvider.System;
        _passports = new PassportVerifier(anchors ?? PassportTrustStore.Empty, _options, _time);
        _nonces = nonces;
        _resolver = resolver;
        _status = status;
    }

    /// <summary>The profile.</summary>
    public McpsVerifierOptions Options => _options;

    /// <summary>
    /// Steps 1–9 and 12 with a key the caller supplies (no passport resolution, no status, no nonce store): the
    /// envelope check of mcp-secure's <c>verifyMessage</c>, used for interop vectors and by callers that hold the key.
    /// </summary>
    public McpsVerificationResult VerifyWithKey(ReadOnlySpan<byte> message, VerificationKey key, McpsVerificationContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        context ??= McpsVerificationContext.None;
        try
        {
            var prepared = Prepare(message, context, out var state);
            if (prepared is not null)
            {
                return prepared;
            }

            return CheckSignature(state!, key, context) ?? Success(state!, 0);
        }
#pragma warning disable CA1031 // A verifier fails closed on any internal fault.
        catch (Exception)
#pragma warning restore CA1031
        {
            return McpsVerificationResult.Fail(new McpsFailure(McpsCode.InternalError, McpsReasons.Internal));
        }
    }

    /// <summary>The full verification of mcps.md §6 (steps 1–18).</summary>
    /// <exception cref="InvalidOperationException">The verifier was created without a nonce store (a configuration error).</exception>
    public async ValueTask<McpsVerificationResult> VerifyAsync(ReadOnlyMemory<byte> message, McpsVerificationContext? context = null, CancellationToken cancellationToken = default)
    {
        if (_nonces is null)
        {
            throw new InvalidOperationException("Full verification needs a nonce store (replay protection cannot be skipped).");
        }

        context ??= McpsVerificationContext.None;
        try
        {
            var prepared = Prepare(message.Span, context, out var state);
            if (prepared is not null)
            {
                return prepared;
            }

            // Step 10: resolve the passport.
            var (passportJson, resolveFailure) = await ResolvePassportAsync(state!, cancellationToken).ConfigureAwait(false);
            if (resolveFailure is not null)
            {
                return Fail(state!, resolveFailure);
            }

            // Step 11: verify the passport and its chain (a verified chain is reused while every member is in validity).
            var (passportResult, fromCache) = VerifyPassportCached(passportJson.Span);
            if (!passportResult.IsValid)
            {
                return Fail(state!, new McpsFailure(passportResult.Code!.Value, passportResult.Reason!));
            }

            var passport = passportResult.Passport!;
            if (passport.PassportId != state!.PassportId)
            {
                return Fail(state, new McpsFailure(McpsCode.InvalidPassport, McpsReasons.UnknownPassport));
            }

            // Step 12: the message signature, with the verified passport's own key.
            if (CheckSignature(state, passport.PublicKey, context) is { } signatureFailure)
            {
                return signatureFailure;
            }

            // Remembered only once a message it signed has verified: anyone can send a self-issued passport with a junk
            // signature, and such passports must not fill the cache (or push out the ones in use).
            if (!fromCache)
            {
                RememberPassport(passportJson.Span, passportResult);
            }

            // Step 13: audience and origin.
            if (context.ExpectedAudience is not null && state.Kind == JsonRpcMessageKind.Request
                && !string.Equals(MetaString(state, state.AudienceMember), context.ExpectedAudience, StringComparison.Ordinal))
            {
                return Fail(state, new McpsFailure(McpsCode.OriginMismatch, McpsReasons.AudienceMismatch));
            }

            if (context.ExpectedOrigin is not null && McpsOrigin.Check(passport.Origin, context.ExpectedOrigin) is { } originFailure)
            {
                return Fail(state, originFailure);
            }

            // Step 14: the reply binding.
            if (context.ExpectedReplyTo is not null && state.Kind is JsonRpcMessageKind.Result or JsonRpcMessageKind.Error
                && !string.Equals(MetaString(state, state.ReplyToMember), context.ExpectedReplyTo, StringComparison.Ordinal))
            {
                return Fail(state, new McpsFailure(McpsCode.InvalidSignature, McpsReasons.ReplyMismatch));
            }

            // Step 15: revocation status, only meaningful for passports that reach an anchor.
            var level = passportResult.TrustLevel;
            if (passportResult.ReachesAnchor)
            {
                var (statusLevel, statusFailure) = await CheckStatusAsync(passport.PassportId, level, cancellationToken).ConfigureAwait(false);
                if (statusFailure is not null)
                {
                    return Fail(state, statusFailure);
                }

                level = statusLevel;
            }

            // Step 16: minimum trust level.
            if (level < context.MinimumTrustLevel)
            {
                return Fail(state, new McpsFailure(McpsCode.InsufficientTrust, McpsReasons.InsufficientTrust), level);
            }

            // Step 17: runtime attestation against the passport's pins.
            if (context.CheckRuntimeAttestation && (passport.CodeDigest is not null || passport.ConfigDigest is not null)
                && !RuntimeMatches(state, passport))
            {
                return Fail(state, new McpsFailure(McpsCode.CodeAttestationMismatch, McpsReasons.RuntimeMismatch), level);
            }

            // Step 18: the nonce, last, so that a rejected message never burns it.
            var registration = await _nonces.TryRegisterAsync(state.PassportId, state.Nonce, state.Timestamp + _options.MaxAge, cancellationToken).ConfigureAwait(false);
            return registration switch
            {
                NonceCheckResult.Accepted => Success(state, level) with { SignerThumbprint = passport.PublicKey.Thumbprint },
                NonceCheckResult.Replayed => Fail(state, new McpsFailure(McpsCode.ReplayDetected, McpsReasons.Replay), level),
                NonceCheckResult.StoreFull => Fail(state, new McpsFailure(McpsCode.RateLimited, McpsReasons.NonceStoreFull), level),
                _ => Fail(state, new McpsFailure(McpsCode.InternalError, McpsReasons.Internal), level),
            };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // A verifier fails closed on any internal fault.
        catch (Exception)
#pragma warning restore CA1031
        {
            return McpsVerificationResult.Fail(new McpsFailure(McpsCode.InternalError, McpsReasons.Internal));
        }
    }

    /// <summary>How many verified passports are remembered (for tests).</summary>
    internal int RememberedPassports
    {
        get
        {
            lock (_passportCache)
            {
                return _passportCache.Count;
            }
        }
    }

    // A verified passport from the cache (its validity window checked again), or verified now (not yet remembered).
    private (PassportVerificationResult Result, bool FromCache) VerifyPassportCached(ReadOnlySpan<byte> passportJson)
    {
        if (passportJson.Length > AgentPassport.MaxBytes)
        {
            return (_passports.Verify(passportJson), false);
        }

        // Keyed on the exact bytes: any change to the passport misses, and a hit still checks the validity window.
        var now = _time.GetUtcNow();
        lock (_passportCache)
        {
            if (_passportCache.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(passportJson, out var cached) && now >= cached.ValidFrom && now < cached.ValidUntil)
            {
                return (cached, true);
            }
        }

        return (_passports.Verify(passportJson), false);
    }

    private void RememberPassport(ReadOnlySpan<byte> passportJson, PassportVerificationResult result)
    {
        if (passportJson.Length > AgentPassport.MaxBytes || !result.IsValid)
        {
            return;
        }

        lock (_passportCache)
        {
            if (_passportCache.Count >= PassportCacheSize)
            {
                _passportCache.Clear();
            }

            _passportCache.GetAlternateLookup<ReadOnlySpan<byte>>()[passportJson] = result;
        }
    }

    /// <summary>Steps 1–9. Returns a result when verification ends here (failure or unsigned), else null and the state.</summary>
    private McpsVerificationResult? Prepare(ReadOnlySpan<byte> utf8, McpsVerificationContext context, out EnvelopeState? state)
    {
        state = null;

        // Steps 1–2: bounds, then strict parse (the canonical form is kept: the body is cut from it).
        if (utf8.Length > _options.Json.MaxInputBytes)
        {
            return McpsVerificationResult.Fail(new McpsFailure(McpsCode.InputLimitExceeded, McpsReasons.TooLarge));
        }

        if (!JsonCanonicalizer.TryCanonicalize(utf8, _options.Json, out var canonical, out var canonicalError))
        {
            return McpsVerificationResult.Fail(McpsJson.FromCanonicalError(canonicalError));
        }

        // Steps 2–4 on the canonical text itself (no JsonNode): the same decisions as McpsEnvelopeLocator.Locate.
        // Members are sorted (error < id < mcps < mcps_version < message < method < params < result < smcp): with
        // method seen and no message, nothing after params matters, so the first scan stops at params without reading
        // it; otherwise the object is read to the end.
        Span<CanonicalSplice.MemberInfo> top = stackalloc CanonicalSplice.MemberInfo[9];
        ReadOnlySpan<string> topNames = [McpsEnvelopeConstants.TopLevelMember, "method", "id", "result", "error", "params", "message", "mcps_version", "smcp"];
        if (!CanonicalSplice.ScanObject(canonical, 0, topNames, top, stopAt: 5))
        {
            return McpsVerificationResult.Fail(new McpsFailure(McpsCode.InvalidSignature, McpsReasons.BadField));
        }

        if (top[5].Found && (!top[1].Found || top[6].Found))
        {
            CanonicalSplice.ScanObject(canonical, 0, topNames, top);
        }

        if (top[6].Found && (top[7].Found || top[8].Found))
        {
            return McpsVerificationResult.Fail(new McpsFailure(McpsCode.InvalidSignature, McpsReasons.ForeignFormat));
        }

        // Step 3: locate the container.
        var kind = top[1].Found
            ? (top[2].Found ? JsonRpcMessageKind.Request : JsonRpcMessageKind.Notification)
            : top[3].Found ? JsonRpcMessageKind.Result : top[4].Found ? JsonRpcMessageKind.Error : JsonRpcMessageKind.Unknown;
        var parent = kind switch
        {
            JsonRpcMessageKind.Request or JsonRpcMessageKind.Notification => top[5],
            JsonRpcMessageKind.Result => top[3],
            _ => default,
        };
        if (kind == JsonRpcMessageKind.Error && top[4].Type == JsonTokenType.StartObject)
        {
            Span<CanonicalSplice.MemberInfo> data = stackalloc CanonicalSplice.MemberInfo[1];
            CanonicalSplice.ScanObject(canonical, top[4].ValueStart, ["data"], data);
            parent = data[0];
        }

        CanonicalSplice.MemberInfo metaMember = default;
        Span<CanonicalSplice.MemberInfo> metaMembers = stackalloc CanonicalSplice.MemberInfo[MetaMemberNames.Length];
        if (parent.Found && parent.Type == JsonTokenType.StartObject)
        {
            Span<CanonicalSplice.MemberInfo> parentMembers = stackalloc CanonicalSplice.MemberInfo[1];
            CanonicalSplice.ScanObject(canonical, parent.ValueStart, [McpsEnvelopeConstants.Meta], parentMembers, stopAt: 0);
            metaMember = parentMembers[0];
            if (metaMember.Found)
            {
                if (metaMember.Type != JsonTokenType.StartObject)
                {
                    return McpsVerificationResult.Fail(new McpsFailure(McpsCode.InvalidSignature, McpsReasons.BadMeta));
                }

                // One pass over _meta finds the container and every member read later (passport, reply-to, audience).
                CanonicalSplice.ScanObject(canonical, metaMember.ValueStart, MetaMemberNames, metaMembers);
            }
        }

        var inMeta = metaMembers[0];

        if (top[0].Found && inMeta.Found)
        {
            return McpsVerificationResult.Fail(new McpsFailure(McpsCode.InvalidSignature, McpsReasons.AmbiguousEnvelope));
        }

        var placement = top[0].Found ? EnvelopePlacement.TopLevel : EnvelopePlacement.Meta;
        var containerMember = top[0].Found ? top[0] : inMeta;
        if (!containerMember.Found)
        {
            return context.RequireSignature
                ? McpsVerificationResult.Fail(new McpsFailure(McpsCode.InvalidSignature, McpsReasons.MissingEnvelope))
                : new McpsVerificationResult { IsValid = false, Reason = McpsReasons.Unsigned };
        }

        // Step 4: container shape (an object whose five fields are strings; `null` or any other value is malformed).
        var fields = new string?[5];
        if (containerMember.Type != JsonTokenType.StartObject
            || !CanonicalSplice.ReadStringMembers(canonical, containerMember.ValueStart, ["version", "passport_id", "nonce", "timestamp", "signature"], fields)
            || fields[0] is not { } version
            || fields[1] is not { } passportId
            || fields[2] is not { } nonce
            || fields[3] is not { } timestampText
            || fields[4] is not { } signatureText)
        {
            return Fail(placement, new McpsFailure(McpsCode.InvalidSignature, McpsReasons.BadField));
        }

        // Step 5: version.
        if (!IsAcceptedVersion(version, context))
        {
            return Fail(placement, new McpsFailure(McpsCode.VersionMismatch, McpsReasons.UnsupportedVersion));
        }

        // Step 6: passport id.
        if (!McpsIdentifiers.IsPassportId(passportId))
        {
            return Fail(placement, new McpsFailure(McpsCode.InvalidPassport, McpsReasons.BadPassportId));
        }

        // Step 7: nonce.
        if (!McpsIdentifiers.IsNonce(nonce))
        {
            return Fail(placement, new McpsFailure(McpsCode.InvalidSignature, McpsReasons.BadNonce), passportId);
        }

        // Step 8: timestamp grammar, then window (before the signature, as the reference does).
        if (!McpsTimestamp.TryParse(timestampText, out var timestamp))
        {
            return Fail(placement, new McpsFailure(McpsCode.TimestampOutOfWindow, McpsReasons.BadTimestamp), passportId);
        }

        var now = _time.GetUtcNow();
        if (now - timestamp >= _options.MaxAge)
        {
            return Fail(placement, new McpsFailure(McpsCode.TimestampOutOfWindow, McpsReasons.TooOld), passportId);
        }

        if (timestamp - now >= _options.MaxFutureSkew)
        {
            return Fail(placement, new McpsFailure(McpsCode.TimestampOutOfWindow, McpsReasons.TooNew), passportId);
        }

        // A nonce store that may have lost registrations in an unclean restart refuses every message that could have
        // been registered before it: dated at or before the fence plus the future skew such a message could carry.
        if (_nonces?.RestartFence is { } fence && timestamp <= fence + _options.MaxFutureSkew)
        {
            return Fail(placement, new McpsFailure(McpsCode.TimestampOutOfWindow, McpsReasons.BeforeRestartFence), passportId);
        }

        // Step 9: signature encoding.
        if (!StrictBase64.TryDecode(signatureText, EcdsaP256.SignatureSize, out var signature))
        {
            return Fail(placement, new McpsFailure(McpsCode.InvalidSignature, McpsReasons.BadSignatureEncoding), passportId);
        }

        var encoding = EcdsaP256.CheckEncoding(signature, _options.AcceptHighS);
        if (encoding != SignatureStatus.Valid)
        {
            var reason = encoding == SignatureStatus.HighS ? McpsReasons.HighS : McpsReasons.BadSignatureEncoding;
            return Fail(placement, new McpsFailure(McpsCode.InvalidSignature, reason), passportId);
        }

        state = new EnvelopeState(canonical, kind, placement, metaMember.Found ? metaMember.ValueStart : -1, passportId, nonce, timestampText, timestamp, signature)
        {
            PassportMember = metaMembers[1],
            ReplyToMember = metaMembers[2],
            AudienceMember = metaMembers[3],
        };
        return null;
    }

    /// <summary>Step 12: builds the preimage with the shared function and verifies it.</summary>
    private McpsVerificationResult? CheckSignature(EnvelopeState state, VerificationKey key, McpsVerificationContext context)
    {
        if (key.Algorithm != SignatureAlgorithm.ES256)
        {
            return Fail(state, new McpsFailure(McpsCode.InvalidSignature, McpsReasons.SignatureMismatch));
        }

        state.MessageHash = McpsPreimage.MessageHashOfCanonicalMessage(state.Canonical, state.Placement, state.Kind);
        var signingInput = McpsPreimage.SigningInput(state.MessageHash, state.Nonce, state.PassportId, state.TimestampText, context.ChannelBinding);
        return key.Verify(signingInput, state.Signature, _options.SignatureOptions) switch
        {
            SignatureStatus.Valid => null,
            SignatureStatus.HighS => Fail(state, new McpsFailure(McpsCode.InvalidSignature, McpsReasons.HighS)),
            SignatureStatus.Mismatch => Fail(state, new McpsFailure(McpsCode.InvalidSignature, McpsReasons.SignatureMismatch)),
            _ => Fail(state, new McpsFailure(McpsCode.InvalidSignature, McpsReasons.BadSignatureEncoding)),
        };
    }

    private async ValueTask<(ReadOnlyMemory<byte> Json, McpsFailure? Failure)> ResolvePassportAsync(EnvelopeState state, CancellationToken cancellationToken)
    {
        if (EmbeddedPassport(state) is { } embedded)
        {
            return (embedded, null);
        }

        if (_resolver is null)
        {
            return (default, new McpsFailure(McpsCode.InvalidPassport, McpsReasons.UnknownPassport));
        }

        try
        {
            var resolved = await _resolver.ResolveAsync(state.PassportId, cancellationToken).ConfigureAwait(false);
            return resolved is { } json
                ? (json, null)
                : (default, new McpsFailure(McpsCode.InvalidPassport, McpsReasons.UnknownPassport));
        }
        catch (PassportResolutionException)
        {
            return (default, new McpsFailure(McpsCode.AuthorityUnreachable, McpsReasons.StatusUnavailable));
        }
    }

    // mcps.md §7.6: the authority's current level only ever lowers the passport's (min); a raise takes a re-issued passport.
    private async ValueTask<(int Level, McpsFailure? Failure)> CheckStatusAsync(string passportId, int chainLevel, CancellationToken cancellationToken)
    {
        if (_options.StatusPolicy == StatusPolicy.None)
        {
            return (Math.Min(chainLevel, 1), null);
        }

        var status = await PassportStatusCheck.TryGetAsync(_status, passportId, cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        lock (_statusCache)
        {
            if (status is { ValidUntil: { } until } && until > now)
            {
                if (_statusCache.Count >= PassportCacheSize)
                {
                    _statusCache.Clear();
                }

                _statusCache[passportId] = status;
            }
            else if (status is null && _statusCache.TryGetValue(passportId, out var cached))
            {
                // Required: a cached status inside its validity; Cached: up to MaxStatusAge past it (mcps.md §7.5).
                var limit = cached.ValidUntil!.Value + (_options.StatusPolicy == StatusPolicy.Cached ? _options.MaxStatusAge : TimeSpan.Zero);
                status = now <= limit ? cached : null;
            }
        }

        if (PassportStatusCheck.Refusal(status, _options.StatusPolicy) is { } refusal)
        {
            return (0, refusal);
        }

        // No answer under BestEffort caps at 1; otherwise the authority's current level only ever lowers (mcps.md §7.6).
        var level = status is null ? Math.Min(chainLevel, 1) : status.CurrentTrustLevel is { } current ? Math.Min(chainLevel, current) : chainLevel;
        return (level, null);
    }

    private bool IsAcceptedVersion(string version, McpsVerificationContext context)
    {
        if (!McpsVersion.TryParse(version, out var parsed))
        {
            return false;
        }

        if (context.NegotiatedVersion is not null)
        {
            return McpsVersion.TryParse(context.NegotiatedVersion, out var negotiated) && parsed.Equals(negotiated);
        }

        foreach (var supported in _options.SupportedVersions)
        {
            if (McpsVersion.TryParse(supported, out var s) && s.Equals(parsed))
            {
                return true;
            }
        }

        return false;
    }

    private static bool RuntimeMatches(EnvelopeState state, AgentPassport passport)
    {
        if (state.Meta?[McpsEnvelopeConstants.RuntimeMetaKey] is not JsonObject runtime)
        {
            return false;
        }

        return (passport.CodeDigest is null || McpsJson.GetString(runtime, "code_digest") == passport.CodeDigest)
            && (passport.ConfigDigest is null || McpsJson.GetString(runtime, "config_digest") == passport.ConfigDigest);
    }

    // A string member of the P2 parent's _meta found by Prepare, read from the canonical text (null when absent or not a string).
    private static string? MetaString(EnvelopeState state, CanonicalSplice.MemberInfo member)
    {
        if (!member.Found || member.Type != JsonTokenType.String)
        {
            return null;
        }

        var reader = new Utf8JsonReader(state.Canonical.AsSpan(member.ValueStart, member.ValueEnd - member.ValueStart));
        reader.Read();
        return reader.GetString();
    }

    /// <summary>
    /// The passport embedded in <c>_meta</c> when its <c>passport_id</c> is the envelope's: the bytes of the object as
    /// re-serialised from the message (its canonical text when that is already the same bytes: printable ASCII, no
    /// escapes). Null when there is none.
    /// </summary>
    private static ReadOnlyMemory<byte>? EmbeddedPassport(EnvelopeState state)
    {
        var member = state.PassportMember;
        if (!member.Found || member.Type != JsonTokenType.StartObject)
        {
            return null;
        }

        Span<string?> id = [null];
        CanonicalSplice.ReadStringMembers(state.Canonical, member.ValueStart, ["passport_id"], id);
        if (id[0] != state.PassportId)
        {
            return null;
        }

        var text = state.Canonical.AsMemory(member.ValueStart, member.ValueEnd - member.ValueStart);
        return IsPlainAscii(text.Span) ? text : McpsJson.Serialize(JsonNode.Parse(text.Span)!);
    }

    // Printable ASCII without a backslash: text the serialiser writes back byte for byte (nothing in it is escaped).
    private static bool IsPlainAscii(ReadOnlySpan<byte> text) => !text.ContainsAnyExceptInRange((byte)0x20, (byte)0x7e) && !text.Contains((byte)'\\');

    private static McpsVerificationResult Fail(EnvelopePlacement placement, McpsFailure failure, string? passportId = null) =>
        new() { Code = failure.Code, Reason = failure.Reason, Placement = placement, PassportId = passportId };

    private static McpsVerificationResult Fail(EnvelopeState state, McpsFailure failure, int level = 0) => new()
    {
        Code = failure.Code,
        Reason = failure.Reason,
        Placement = state.Placement,
        PassportId = state.PassportId,
        Nonce = state.Nonce,
        Timestamp = state.Timestamp,
        MessageHash = state.MessageHash,
        EffectiveTrustLevel = level,
    };

    private static McpsVerificationResult Success(EnvelopeState state, int level) => new()
    {
        IsValid = true,
        Placement = state.Placement,
        PassportId = state.PassportId,
        Nonce = state.Nonce,
        Timestamp = state.Timestamp,
        MessageHash = state.MessageHash,
        EffectiveTrustLevel = level,
    };

    private sealed class EnvelopeState(
        byte[] canonical, JsonRpcMessageKind kind, EnvelopePlacement placement, int metaStart,
        string passportId, string nonce, string timestampText, DateTimeOffset timestamp, byte[] signature)
    {
        public byte[] Canonical { get; } = canonical;

        public JsonRpcMessageKind Kind { get; } = kind;

        public EnvelopePlacement Placement { get; } = placement;

        private JsonObject? _meta;

        /// <summary>Where <c>_meta</c> holds the embedded passport (not found when it does not).</summary>
        public CanonicalSplice.MemberInfo PassportMember { get; init; }

        /// <summary>Where <c>_meta</c> holds <c>io.agenttrust/reply-to</c>.</summary>
        public CanonicalSplice.MemberInfo ReplyToMember { get; init; }

        /// <summary>Where <c>_meta</c> holds <c>io.agenttrust/aud</c>.</summary>
        public CanonicalSplice.MemberInfo AudienceMember { get; init; }

        /// <summary>The P2 parent's <c>_meta</c> object (parsed from the canonical text on first use), or null.</summary>
        public JsonObject? Meta => _meta ??= metaStart >= 0
            ? JsonNode.Parse(Canonical.AsSpan(metaStart, CanonicalSplice.SkipValue(Canonical, metaStart) - metaStart)) as JsonObject
            : null;

        public string PassportId { get; } = passportId;

        public string Nonce { get; } = nonce;

        public string TimestampText { get; } = timestampText;

        public DateTimeOffset Timestamp { get; } = timestamp;

        public byte[] Signature { get; } = signature;

        public string? MessageHash { get; set; }
    }
}
