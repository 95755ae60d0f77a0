using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AgentTrust.Authority.Http;
using AgentTrust.Authority.Logging;
using AgentTrust.Authority.Metrics;
using AgentTrust.Audit;
using AgentTrust.Authority.Storage;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Errors;
using AgentTrust.Json;
using AgentTrust.Mcps;
using AgentTrust.Mcps.Passports;
using AgentTrust.TrustAuthority;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentTrust.Authority.Services;

/// <summary>The authority's operations behind the HTTP endpoints: each validates, acts, signs and answers.</summary>
internal sealed partial class AuthorityService
{
    private const int MaxReasonLength = 512;

    // One refusal for a challenge that is unknown, used or expired (no state oracle).
    private const string InvalidChallenge = "invalid_challenge";
    private const int StatusReuseCapacity = 100_000;

    // The members the authority copies from a submitted passport (all checked by the MCPS parser); anything else is dropped.
    private static readonly HashSet<string> CopiedPassportMembers = new(StringComparer.Ordinal)
    {
        "passport_id", "mcps_version", "agent", "public_key", "origin", "key_rotation", "agenttrust",
    };

    private readonly IAuthorityRepository _repository;
    private readonly AuthorityKeyRing _keys;
    private readonly AuthorityServerOptions _options;
    private readonly TimeProvider _time;
    private readonly AuthorityMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, ReusableAnswer> _statusAnswers = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _revocationGate = new(1, 1);
    private ReusableAnswer? _revocationList;
    private long _lastPurgeTicks;

    public AuthorityService(IAuthorityRepository repository, AuthorityKeyRing keys, AuthorityServerOptions options, TimeProvider time, AuthorityMetrics metrics, ILogger logger)
    {
        _repository = repository;
        _keys = keys;
        _options = options;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        if (options.StapleLifetime <= TimeSpan.Zero || options.StapleLifetime > TimeSpan.FromHours(1))
        {
            throw new ArgumentException("A staple lives more than zero and at most one hour (mcps.md §3.3).", nameof(options));
        }
    }

    public IAuthorityRepository Repository => _repository;

    [GeneratedRegex("^sha256:[0-9a-f]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex HashPattern();

    public async Task<IResult> CreateChallengeAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (await BoundedBody.ReadAsync(request, _options.MaxBodyBytes, cancellationToken).ConfigureAwait(false) is null)
        {
            return Problems.Create(StatusCodes.Status413PayloadTooLarge, McpsCode.InputLimitExceeded, "too_large");
        }

        var now = Now();
        var challenge = StrictBase64.EncodeUrl(RandomNumberGenerator.GetBytes(32));
        var expires = now + _options.ChallengeLifetime;
        await _repository.StoreChallengeAsync(challenge, expires, cancellationToken).ConfigureAwait(false);
        await PurgeOccasionallyAsync(now, cancellationToken).ConfigureAwait(false);
        var answer = new JsonObject
        {
            ["challenge"] = challenge,
            ["expires_at"] = McpsTimestamp.Format(expires),
            ["purpose"] = RegistrationProof.Purpose,
        };
        return Unsigned(StatusCodes.Status201Created, answer);
    }

    public async Task<IResult> RegisterAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var body = await BoundedBody.ReadAsync(request, _options.MaxRegistrationBodyBytes, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return Refuse(StatusCodes.Status413PayloadTooLarge, McpsCode.InputLimitExceeded, "too_large");
        }

        using var document = BoundedBody.ParseObject(body);
        if (document is null)
        {
            return Refuse(StatusCodes.Status400BadRequest, McpsCode.NonCanonicalInput, "invalid_json");
        }

        var root = document.RootElement;
        if (!root.TryGetProperty("passport", out var passport) || passport.ValueKind != JsonValueKind.Object)
        {
            return Refuse(StatusCodes.Status400BadRequest, McpsCode.InvalidPassport, "bad_field");
        }

        if (!root.TryGetProperty("challenge", out var challengeElement) || challengeElement.ValueKind != JsonValueKind.String
            || !StrictBase64.TryDecodeUrl(challengeElement.GetString(), 32, out _))
        {
            return Refuse(StatusCodes.Status400BadRequest, McpsCode.InvalidSignature, "bad_field");
        }

        if (!root.TryGetProperty("signature", out var signatureElement) || signatureElement.ValueKind != JsonValueKind.String
            || !StrictBase64.TryDecode(signatureElement.GetString(), SigningKey.SignatureSize, out var signature))
        {
            return Refuse(StatusCodes.Status400BadRequest, McpsCode.InvalidSignature, "bad_signature_encoding");
        }

        if (!PassportIntake.TryCheck(JsonMarshal.GetRawUtf8Value(passport), out var submitted, out var failure))
        {
            var status = failure!.Code == McpsCode.PassportTooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest;
            return Refuse(status, failure.Code, failure.Reason);
        }

        var challenge = challengeElement.GetString()!;
        string passportSha256;
        try
        {
            passportSha256 = RegistrationProof.PassportDigest(passport);
        }
        catch (CanonicalJsonException)
        {
            return Refuse(StatusCodes.Status400BadRequest, McpsCode.InvalidPassport, "bad_field");
        }

        // Order: stateless structure checks (above), then one cheap read of the challenge, then the costly proof check,
        // then the stateful write. A challenge that cannot be used is refused before any signature work, with one answer
        // whatever the reason (unknown, used or expired), so a caller holding someone's challenge learns nothing about
        // whether it was used. Whether a passport id is registered is only told to a caller who proved the key.
        var now = Now();
        if (await _repository.PeekChallengeAsync(challenge, now, cancellationToken).ConfigureAwait(false) != ChallengeOutcome.Fresh)
        {
            return Refuse(StatusCodes.Status400BadRequest, McpsCode.InvalidSignature, InvalidChallenge);
        }

        // The proof binds the whole submitted passport, so no member the authority copies can be changed on the way.
        var proof = submitted!.PublicKey.Verify(RegistrationProof.BuildPreimage(challenge, submitted.PassportId, passportSha256), signature);
        if (proof != SignatureStatus.Valid)
        {
            return Refuse(StatusCodes.Status401Unauthorized, McpsCode.InvalidSignature, proof == SignatureStatus.HighS ? "high_s" : "signature_mismatch");
        }

        // The authority signs the agent's own members (checked by the MCPS parser) under its name, with its validity.
        var expires = now + _options.PassportLifetime;
        var draft = new JsonObject();
        foreach (var (name, value) in submitted.ToJsonObject())
        {
            if (CopiedPassportMembers.Contains(name))
            {
                draft[name] = value?.DeepClone();
            }
        }

        draft["issuer"] = _options.Name;
        draft["issuer_chain"] = new JsonArray();
        draft["trust_level"] = _options.InitialTrustLevel;
        draft["issued_at"] = McpsTimestamp.Format(now);
        draft["expires_at"] = McpsTimestamp.Format(expires);
        var issuedPassport = PassportIssuer.SignObject(draft, _keys.PassportKey);
        var issued = issuedPassport.ToJsonObject();
        var passportBytes = issuedPassport.ToCanonicalJson();
        var record = new PassportRecord(submitted.PassportId, System.Text.Encoding.UTF8.GetString(passportBytes), submitted.PublicKey.Thumbprint, _options.InitialTrustLevel, now, expires, null, null);

        // The challenge is used and the passport stored in one transaction: a refused registration leaves the challenge usable.
        switch (await _repository.RegisterAsync(challenge, now, record, cancellationToken).ConfigureAwait(false))
        {
            case ChallengeOutcome.Consumed:
                break;
            case ChallengeOutcome.AlreadyRegistered:
                return Refuse(StatusCodes.Status409Conflict, McpsCode.InvalidPassport, "already_registered");
            default:
                return Refuse(StatusCodes.Status400BadRequest, McpsCode.InvalidSignature, InvalidChallenge);
        }

        _metrics.RecordEvent("registration");
        AuthorityLog.Registered(_logger, submitted.PassportId, _options.InitialTrustLevel);
        var answer = new JsonObject
        {
            ["passport"] = issued,
            ["authority"] = AuthorityDescriptor(),
        };
        return new JsonBytesResult(StatusCodes.Status201Created, JsonCanonicalizer.Canonicalize(answer, CanonicalJsonOptions.Strict));
    }

    public async Task<IResult> GetPassportAsync(string passportId, CancellationToken cancellationToken)
    {
        if (!McpsIdentifiers.IsPassportId(passportId))
        {
            return Problems.Create(StatusCodes.Status400BadRequest, McpsCode.InvalidPassport, "bad_passport_id");
        }

        var record = await _repository.GetPassportAsync(passportId, cancellationToken).ConfigureAwait(false);
        return record is null
            ? Problems.Create(StatusCodes.Status404NotFound, McpsCode.InvalidPassport, "unknown_passport")
            : new JsonBytesResult(StatusCodes.Status200OK, System.Text.Encoding.UTF8.GetBytes(record.PassportJson));
    }

    public async Task<IResult> GetStatusAsync(string passportId, CancellationToken cancellationToken)
    {
        if (!McpsIdentifiers.IsPassportId(passportId))
        {
            return Problems.Create(StatusCodes.Status400BadRequest, McpsCode.InvalidPassport, "bad_passport_id");
        }

        var now = Now();
        if (_options.StatusReuse > TimeSpan.Zero && _statusAnswers.TryGetValue(passportId, out var reusable) && now - reusable.ProducedAt < _options.StatusReuse)
        {
            return new JsonBytesResult(StatusCodes.Status200OK, reusable.Body, cacheControl: "no-store");
        }

        var record = await _repository.GetPassportAsync(passportId, cancellationToken).ConfigureAwait(false);
        var bytes = SignedStatus(passportId, record, now);
        if (_options.StatusReuse > TimeSpan.Zero)
        {
            if (_statusAnswers.Count >= StatusReuseCapacity)
            {
                _statusAnswers.Clear();
            }

            _statusAnswers[passportId] = new ReusableAnswer(bytes, now);
        }

        return new JsonBytesResult(StatusCodes.Status200OK, bytes, cacheControl: "no-store");
    }

    public async Task<IResult> GetStapleAsync(string passportId, CancellationToken cancellationToken)
    {
        if (!McpsIdentifiers.IsPassportId(passportId))
        {
            return Problems.Create(StatusCodes.Status400BadRequest, McpsCode.InvalidPassport, "bad_passport_id");
        }

        var record = await _repository.GetPassportAsync(passportId, cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            return Problems.Create(StatusCodes.Status404NotFound, McpsCode.InvalidPassport, "unknown_passport");
        }

        var now = Now();
        var staple = new JsonObject
        {
            ["passport_id"] = passportId,
            ["status"] = StatusOf(record, now).ToStapleName(),
            ["valid_from"] = McpsTimestamp.Format(now),
            ["valid_until"] = McpsTimestamp.Format(now + _options.StapleLifetime),
        };
        AuthoritySignedDocument.SignEs256(staple, _keys.PassportKey, AuthorityDocumentKind.Staple);
        return new JsonBytesResult(StatusCodes.Status200OK, JsonCanonicalizer.Canonicalize(staple, CanonicalJsonOptions.Strict), cacheControl: "no-store");
    }

    public async Task<IResult> RevokeAsync(string passportId, HttpContext context, CancellationToken cancellationToken)
    {
        if (!McpsIdentifiers.IsPassportId(passportId))
        {
            return Problems.Create(StatusCodes.Status400BadRequest, McpsCode.InvalidPassport, "bad_passport_id");
        }

        var (document, problem) = await ReadJsonAsync(context.Request, cancellationToken).ConfigureAwait(false);
        using (document)
        {
            if (problem is not null)
            {
                return problem;
            }

            if (!TryGetReason(document!.RootElement, out var reason))
            {
                return Problems.Create(StatusCodes.Status400BadRequest, McpsCode.InvalidPassport, "bad_field", "A reason (1-512 characters) is required.");
            }

            var actor = AdminActor(context);
            var now = Now();
            switch (await _repository.RevokeAsync(passportId, reason, actor, now, cancellationToken).ConfigureAwait(false))
            {
                case RevocationOutcome.NotFound:
                    return Problems.Create(StatusCodes.Status404NotFound, McpsCode.InvalidPassport, "unknown_passport");
                case RevocationOutcome.AlreadyRevoked:
                    return Problems.Create(StatusCodes.Status409Conflict, McpsCode.PassportRevoked, "revoked", "The passport is already revoked.");
            }

            ForgetCachedAnswers(passportId);
            _metrics.RecordEvent("revocation");
            AuthorityLog.Revoked(_logger, passportId, actor);
            var record = await _repository.GetPassportAsync(passportId, cancellationToken).ConfigureAwait(false);
            return new JsonBytesResult(StatusCodes.Status200OK, SignedStatus(passportId, record, now));
        }
    }

    public async Task<IResult> SetTrustLevelAsync(string passportId, HttpContext context, CancellationToken cancellationToken)
    {
        if (!McpsIdentifiers.IsPassportId(passportId))
        {
            return Problems.Create(StatusCodes.Status400BadRequest, McpsCode.InvalidPassport, "bad_passport_id");
        }

        var (document, problem) = await ReadJsonAsync(context.Request, cancellationToken).ConfigureAwait(false);
        using (document)
        {
            if (problem is not null)
            {
                return problem;
            }

            var root = document!.RootElement;
            if (!root.TryGetProperty("level", out var levelElement) || levelElement.ValueKind != JsonValueKind.Number
                || !levelElement.TryGetInt32(out var level) || level is < 0 or > 4)
            {
                return Problems.Create(StatusCodes.Status400BadRequest, McpsCode.InsufficientTrust, "bad_field", "level must be an integer 0-4.");
            }

            if (!TryGetReason(root, out var reason))
            {
                return Problems.Create(StatusCodes.Status400BadRequest, McpsCode.InvalidPassport, "bad_field", "A reason (1-512 characters) is required.");
            }

            var actor = AdminActor(context);
            var now = Now();
            var outcome = await _repository.SetTrustLevelAsync(passportId, level, reason, actor, now, stored => Reissue(stored, level, now), cancellationToken).ConfigureAwait(false);
            switch (outcome.Kind)
            {
                case TrustLevelOutcomeKind.NotFound:
                    return Problems.Create(StatusCodes.Status404NotFound, McpsCode.InvalidPassport, "unknown_passport");
                case TrustLevelOutcomeKind.Revoked:
                    return Problems.Create(StatusCodes.Status409Conflict, McpsCode.PassportRevoked, "revoked");
            }

            ForgetCachedAnswers(passportId);
            _metrics.RecordEvent("trust_level_change");
            AuthorityLog.TrustLevelChanged(_logger, passportId, outcome.OldLevel, level, actor);
            var record = await _repository.GetPassportAsync(passportId, cancellationToken).ConfigureAwait(false);
            return new JsonBytesResult(StatusCodes.Status200OK, SignedStatus(passportId, record, now));
        }
    }

    // mcps.md §7.6: the effective level is min(passport level, current level here), so a raise only counts once the
    // passport itself carries it. A level change therefore re-issues the passport (same id, key and expiry; new level
    // and issued_at, signed again); the holder fetches it with GET /v1/passports/{id}. A lowered level also applies at
    // once through status and staples, to the copies already out there.
    private string Reissue(string storedPassport, int level, DateTimeOffset now)
    {
        var draft = System.Text.Json.Nodes.JsonNode.Parse(storedPassport)!.AsObject();
        draft["trust_level"] = level;
        draft["issued_at"] = McpsTimestamp.Format(now);
        return System.Text.Encoding.UTF8.GetString(PassportIssuer.SignObject(draft, _keys.PassportKey).ToCanonicalJson());
    }

    public async Task<IResult> GetTrustLevelHistoryAsync(string passportId, CancellationToken cancellationToken)
    {
        if (!McpsIdentifiers.IsPassportId(passportId))
        {
            return Problems.Create(StatusCodes.Status400BadRequest, McpsCode.InvalidPassport, "bad_passport_id");
        }

        if (await _repository.GetPassportAsync(passportId, cancellationToken).ConfigureAwait(false) is null)
        {
            return Problems.Create(StatusCodes.Status404NotFound, McpsCode.InvalidPassport, "unknown_passport");
        }

        var changes = new JsonArray();
        foreach (var change in await _repository.GetTrustLevelHistoryAsync(passportId, cancellationToken).ConfigureAwait(false))
        {
            changes.Add(new JsonObject
            {
                ["old_level"] = change.OldLevel,
                ["new_level"] = change.NewLevel,
                ["reason"] = change.Reason,
                ["actor"] = change.Actor,
                ["changed_at"] = McpsTimestamp.Format(change.ChangedAt),
            });
        }

        return Unsigned(StatusCodes.Status200OK, new JsonObject { ["passport_id"] = passportId, ["changes"] = changes });
    }

    public async Task<IResult> GetRevocationsAsync(CancellationToken cancellationToken)
    {
        var now = Now();
        var cached = _revocationList;
        var reuse = TimeSpan.FromTicks(Math.Min(TimeSpan.FromMinutes(1).Ticks, _options.RevocationListInterval.Ticks / 2));
        if (cached is not null && now - cached.ProducedAt < reuse)
        {
            return new JsonBytesResult(StatusCodes.Status200OK, cached.Body);
        }

        await _revocationGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            cached = _revocationList;
            if (cached is not null && now - cached.ProducedAt < reuse)
            {
                return new JsonBytesResult(StatusCodes.Status200OK, cached.Body);
            }

            var snapshot = await _repository.GetRevocationsAsync(cancellationToken).ConfigureAwait(false);
            var entries = new JsonArray();
            foreach (var entry in snapshot.Entries)
            {
                entries.Add(new JsonObject
                {
                    ["passport_id"] = entry.PassportId,
                    ["revoked_at"] = McpsTimestamp.Format(entry.RevokedAt),
                    ["reason"] = entry.Reason,
                });
            }

            var list = new JsonObject
            {
                ["version"] = snapshot.Version,
                ["issuer"] = _options.Name,
                ["published_at"] = McpsTimestamp.Format(now),
                ["next_update"] = McpsTimestamp.Format(now + _options.RevocationListInterval),
                ["entries"] = entries,
            };
            AuthoritySignedDocument.SignEs256(list, _keys.PassportKey, AuthorityDocumentKind.RevocationList);
            var bytes = JsonCanonicalizer.Canonicalize(list, CanonicalJsonOptions.Strict);
            _revocationList = new ReusableAnswer(bytes, now);
            return new JsonBytesResult(StatusCodes.Status200OK, bytes);
        }
        finally
        {
            _revocationGate.Release();
        }
    }

    public async Task<IResult> AnchorCheckpointAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (document, problem) = await ReadJsonAsync(request, cancellationToken).ConfigureAwait(false);
        using (document)
        {
            if (problem is not null)
            {
                return problem;
            }

            var root = document!.RootElement;
            if (!TryGetString(root, "log_id", out var logId) || !HashPattern().IsMatch(logId)
                || !TryGetString(root, "record_hash", out var recordHash) || !HashPattern().IsMatch(recordHash)
                || !root.TryGetProperty("record_count", out var countElement) || countElement.ValueKind != JsonValueKind.Number
                || !countElement.TryGetInt64(out var recordCount) || recordCount < 1)
            {
                return Problems.Create(StatusCodes.Status400BadRequest, McpsCode.AuditChainBroken, "bad_field");
            }

            if (!TryGetString(root, "submitter", out var submitter) || !submitter.StartsWith(AuthoritySignedDocument.Ed25519Prefix, StringComparison.Ordinal)
                || !StrictBase64.TryDecode(submitter[AuthoritySignedDocument.Ed25519Prefix.Length..], Ed25519.PublicKeySize, out var submitterKey)
                || !TryGetString(root, "sig", out var sigText) || !sigText.StartsWith(AuthoritySignedDocument.Ed25519Prefix, StringComparison.Ordinal)
                || !StrictBase64.TryDecode(sigText[AuthoritySignedDocument.Ed25519Prefix.Length..], Ed25519.SignatureSize, out var sig))
            {
                return Problems.Create(StatusCodes.Status400BadRequest, McpsCode.InvalidSignature, "bad_signature_encoding");
            }

            if (!Ed25519.Verify(submitterKey, CheckpointProof.BuildPreimage(logId, recordCount, recordHash, submitter), sig))
            {
                return Problems.Create(StatusCodes.Status401Unauthorized, McpsCode.InvalidSignature, "signature_mismatch");
            }

            // The anchor object and its signed preimage come from the audit-log code (receipts.md §7.6), the same
            // function a local writer uses, so verifiers of either kind read TA anchors unchanged.
            var anchor = AuditAnchor.Create(new AuditHead(logId, recordCount, recordHash), _keys.AnchorKey, _options.Name, _time);
            var now = anchor.AnchoredAt;
            var anchorText = System.Text.Encoding.UTF8.GetString(JsonCanonicalizer.Canonicalize(JsonNode.Parse(anchor.ToJsonString()), CanonicalJsonOptions.Strict));
            var outcome = await _repository.RecordCheckpointAsync(new CheckpointRecord(logId, recordCount, recordHash, submitter, now, anchorText), cancellationToken).ConfigureAwait(false);
            switch (outcome.Kind)
            {
                case CheckpointOutcomeKind.Accepted:
                    _metrics.RecordEvent("checkpoint");
                    AuthorityLog.CheckpointAnchored(_logger, logId, recordCount);
                    return new JsonBytesResult(StatusCodes.Status201Created, System.Text.Encoding.UTF8.GetBytes(anchorText));
                case CheckpointOutcomeKind.Unchanged:
                    return new JsonBytesResult(StatusCodes.Status200OK, System.Text.Encoding.UTF8.GetBytes(outcome.Current!.AnchorJson));
                case CheckpointOutcomeKind.Lower:
                    _metrics.RecordEvent("checkpoint_refused");
                    AuthorityLog.CheckpointRefused(_logger, logId, "lower", recordCount);
                    return Problems.Create(StatusCodes.Status409Conflict, McpsCode.AuditChainBroken, "stale_checkpoint", "A higher checkpoint of this log is already anchored.");
                case CheckpointOutcomeKind.Conflict:
                    _metrics.RecordEvent("checkpoint_refused");
                    AuthorityLog.CheckpointRefused(_logger, logId, "fork", recordCount);
                    return Problems.Create(StatusCodes.Status409Conflict, McpsCode.AuditChainBroken, "fork", "A different head with this record count is already anchored.");
                default:
                    _metrics.RecordEvent("checkpoint_refused");
                    AuthorityLog.CheckpointRefused(_logger, logId, "wrong_submitter", recordCount);
                    return Problems.Create(StatusCodes.Status403Forbidden, McpsCode.InvalidSignature, "wrong_submitter", "This log is bound to another submitter key.");
            }
        }
    }

    /// <summary>
    /// <c>GET /v1/checkpoints/{logId}</c>. With <c>?nonce=</c> (32 lowercase hex, checked before any work; anything else,
    /// repeated or empty is 400 <c>bad_nonce</c>) the answer is a <see cref="CheckpointAnswer"/> signed now, echoing the
    /// nonce, so it cannot be replayed to another request; for a log the authority holds no anchor of it is 200 with
    /// <c>"anchor":null</c>. Without a nonce the stored anchor alone is returned, as before,
    /// for clients that predate the signed answer (and an unsigned 404 problem for an unknown log): it proves the head was
    /// anchored, not that it is still the highest.
    /// </summary>
    public async Task<IResult> GetCheckpointAsync(string logId, IQueryCollection query, CancellationToken cancellationToken)
    {
        string? nonce = null;
        if (query.TryGetValue("nonce", out var nonces))
        {
            if (nonces.Count != 1 || !McpsIdentifiers.IsNonce(nonces[0]))
            {
                return Problems.Create(StatusCodes.Status400BadRequest, McpsCode.AuditChainBroken, "bad_nonce", "The nonce is 32 lowercase hex characters, sent once.");
            }

            nonce = nonces[0];
        }

        if (!HashPattern().IsMatch(logId))
        {
            return Problems.Create(StatusCodes.Status400BadRequest, McpsCode.AuditChainBroken, "bad_field");
        }

        var record = await _repository.GetCheckpointAsync(logId, cancellationToken).ConfigureAwait(false);
        if (nonce is null)
        {
            return record is null
                ? Problems.Create(StatusCodes.Status404NotFound, McpsCode.AuditChainBroken, CheckpointAnswer.UnknownLog)
                : new JsonBytesResult(StatusCodes.Status200OK, System.Text.Encoding.UTF8.GetBytes(record.AnchorJson));
        }

        // With a nonce even "none held" is signed ("anchor": null): an unsigned 404 could be forged to hide every anchor.
        var anchor = record is null ? null : (JsonObject)JsonNode.Parse(record.AnchorJson)!;
        var answer = CheckpointAnswer.Create(logId, anchor, nonce, _keys.AnchorKey);
        return new JsonBytesResult(StatusCodes.Status200OK, JsonCanonicalizer.Canonicalize(answer, CanonicalJsonOptions.Strict), cacheControl: "no-store");
    }

    public IResult GetJwks()
    {
        var keys = new JsonArray();
        foreach (var jwk in _keys.PublicKeys)
        {
            keys.Add(JsonNode.Parse(jwk.ToJson()));
        }

        return new JsonBytesResult(StatusCodes.Status200OK, System.Text.Encoding.UTF8.GetBytes(new JsonObject { ["keys"] = keys }.ToJsonString()), cacheControl: "public, max-age=300");
    }

    public async Task<IResult> HealthAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _repository.PingAsync(cancellationToken).ConfigureAwait(false);
            return Unsigned(StatusCodes.Status200OK, new JsonObject { ["status"] = "ok", ["engine"] = _repository.Engine });
        }
#pragma warning disable CA1031 // Health reports any storage failure as unavailable.
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
        {
            return Problems.Create(StatusCodes.Status503ServiceUnavailable, McpsCode.AuthorityUnreachable, "storage_unavailable");
        }
    }

    internal static PassportStatusKind StatusOf(PassportRecord? record, DateTimeOffset now) => record switch
    {
        null => PassportStatusKind.Unknown,
        { RevokedAt: not null } => PassportStatusKind.Revoked,
        _ when now >= record.ExpiresAt => PassportStatusKind.Expired,
        _ => PassportStatusKind.Active,
    };

    private byte[] SignedStatus(string passportId, PassportRecord? record, DateTimeOffset now)
    {
        var status = StatusOf(record, now);
        var document = new JsonObject
        {
            ["passport_id"] = passportId,
            ["status"] = status.ToStatusName(),
            ["issuer"] = _options.Name,
            ["checked_at"] = McpsTimestamp.Format(now),
            ["valid_until"] = McpsTimestamp.Format(now + _options.StatusLifetime),
        };
        if (record is not null)
        {
            document["trust_level"] = status == PassportStatusKind.Active ? record.TrustLevel : 0;
            document["issued_at"] = McpsTimestamp.Format(record.IssuedAt);
            document["expires_at"] = McpsTimestamp.Format(record.ExpiresAt);
            if (record.RevokedAt is { } revokedAt)
            {
                document["revoked_at"] = McpsTimestamp.Format(revokedAt);
                document["revocation_reason"] = record.RevocationReason;
            }
        }

        AuthoritySignedDocument.SignEs256(document, _keys.PassportKey, AuthorityDocumentKind.Status);
        return JsonCanonicalizer.Canonicalize(document, CanonicalJsonOptions.Strict);
    }

    private JsonObject AuthorityDescriptor() => new()
    {
        ["name"] = _options.Name,
        ["kid"] = _keys.PassportKeyId,
        ["public_key"] = JsonNode.Parse(_keys.PassportKey.PublicKey.ToJsonWebKey().ToJson()),
    };

    private void ForgetCachedAnswers(string passportId)
    {
        _statusAnswers.TryRemove(passportId, out _);
        _revocationList = null;
    }

    private async Task<(JsonDocument? Document, IResult? Problem)> ReadJsonAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var body = await BoundedBody.ReadAsync(request, _options.MaxBodyBytes, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return (null, Problems.Create(StatusCodes.Status413PayloadTooLarge, McpsCode.InputLimitExceeded, "too_large"));
        }

        var document = BoundedBody.ParseObject(body);
        return document is null
            ? (null, Problems.Create(StatusCodes.Status400BadRequest, McpsCode.NonCanonicalInput, "invalid_json"))
            : (document, null);
    }

    private IResult Refuse(int status, McpsCode code, string reason)
    {
        _metrics.RecordEvent("registration_refused");
        AuthorityLog.RegistrationRefused(_logger, code.ToCodeString(), reason);
        return Problems.Create(status, code, reason);
    }

    private async Task PurgeOccasionallyAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var last = Interlocked.Read(ref _lastPurgeTicks);
        if (now.UtcTicks - last < TimeSpan.FromMinutes(1).Ticks || Interlocked.CompareExchange(ref _lastPurgeTicks, now.UtcTicks, last) != last)
        {
            return;
        }

        // Used challenges are kept until they expire; either way a used challenge is refused.
        await _repository.PurgeChallengesAsync(now, cancellationToken).ConfigureAwait(false);
    }

    private DateTimeOffset Now() => DateTimeOffset.FromUnixTimeMilliseconds(_time.GetUtcNow().ToUnixTimeMilliseconds());

    private static string AdminActor(HttpContext context) =>
        context.Items.TryGetValue(AdminAuthentication.ActorItem, out var actor) && actor is string s ? s : "unknown";

    private static bool TryGetReason(JsonElement root, out string reason)
    {
        reason = string.Empty;
        if (!TryGetString(root, "reason", out var text) || text.Trim().Length == 0 || text.Length > MaxReasonLength)
        {
            return false;
        }

        reason = text;
        return true;
    }

    private static bool TryGetString(JsonElement root, string name, out string value)
    {
        value = string.Empty;
        if (root.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.String)
        {
            value = element.GetString()!;
            return true;
        }

        return false;
    }

    private static JsonBytesResult Unsigned(int status, JsonObject body) => new(status, System.Text.Encoding.UTF8.GetBytes(body.ToJsonString()));

    private sealed record ReusableAnswer(byte[] Body, DateTimeOffset ProducedAt);
}
