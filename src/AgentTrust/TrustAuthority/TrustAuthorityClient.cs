using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Encoding;
using AgentTrust.Errors;
using AgentTrust.Keys;

using AgentTrust.Mcps;
using AgentTrust.Mcps.Passports;

namespace AgentTrust.TrustAuthority;

/// <summary>
/// Client of an AgentTrust Trust Authority (<c>/v1</c> API): resolves passports, looks up status with a cache,
/// fetches stapled status, syncs the signed revocation list, registers agents with proof of key possession and
/// anchors audit checkpoints. Every signed answer is verified with the authority's key before it is used; the
/// <see cref="AuthorityFailurePolicy"/> decides what an unreachable authority means. Thread-safe.
/// </summary>
public sealed class TrustAuthorityClient : IPassportStatusProvider, IPassportResolver
{
    private static readonly JsonDocumentOptions ParseOptions = new() { AllowDuplicateProperties = false, MaxDepth = 32 };

    private readonly HttpClient _http;
    private readonly TrustAuthorityClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, CachedStatus> _statusCache = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _keyGate = new(1, 1);
    private VerificationKey? _authorityKey;
    private VerificationKey? _anchorKey;
    private RevocationSnapshot? _revocations;

    /// <summary>Creates a client over <paramref name="http"/>, whose <see cref="HttpClient.BaseAddress"/> is the authority's URL.</summary>
    public TrustAuthorityClient(HttpClient http, TrustAuthorityClientOptions? options = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.BaseAddress is null)
        {
            throw new ArgumentException("The HttpClient needs a BaseAddress (the authority's URL).", nameof(http));
        }

        _http = http;
        _options = options ?? new TrustAuthorityClientOptions();
        _time = time ?? TimeProvider.System;
        _authorityKey = _options.AuthorityKey;
        _anchorKey = _options.AnchorKey;
    }

    /// <summary>The ES256 key answers are verified with, once known.</summary>
    public VerificationKey? AuthorityKey => _authorityKey;

    /// <summary>Fetches <c>GET /v1/passports/{id}</c> and verifies the authority's signature on the passport.</summary>
    public async Task<AuthorityResult<JsonObject>> ResolvePassportAsync(string passportId, CancellationToken cancellationToken = default)
    {
        var answer = await SendAsync(HttpMethod.Get, $"v1/passports/{Uri.EscapeDataString(passportId)}", null, null, cancellationToken).ConfigureAwait(false);
        if (!answer.IsSuccess)
        {
            return answer;
        }

        var passport = answer.Value!["passport"] as JsonObject ?? answer.Value;
        var verified = await VerifiedAsync(passport, AuthorityDocumentKind.Passport, answer.HttpStatus, cancellationToken).ConfigureAwait(false);
        return !verified.IsSuccess || (AuthoritySignedDocument.TryGetString(passport, "passport_id", out var id) && string.Equals(id, passportId, StringComparison.Ordinal))
            ? verified
            : AuthorityResult<JsonObject>.Failure(McpsCode.InvalidPassport, PassportMismatch, answer.HttpStatus);
    }

    /// <summary>
    /// The status of a passport: from the cache while fresh (≤ <see cref="TrustAuthorityClientOptions.StatusCacheDuration"/>
    /// and before its valid_until), else live; an unreachable authority is handled by the failure policy.
    /// </summary>
    public async Task<StatusLookup> GetStatusAsync(string passportId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(passportId);
        var now = _time.GetUtcNow();
        if (_statusCache.TryGetValue(passportId, out var cached) && now - cached.FetchedAt < _options.StatusCacheDuration && now < cached.Lookup.ValidUntil)
        {
            return Copy(cached.Lookup, fromCache: true);
        }

        var answer = await SendAsync(HttpMethod.Get, $"v1/passports/{Uri.EscapeDataString(passportId)}/status", null, null, cancellationToken).ConfigureAwait(false);
        if (answer.IsSuccess)
        {
            var verified = await VerifiedAsync(answer.Value!, AuthorityDocumentKind.Status, answer.HttpStatus, cancellationToken).ConfigureAwait(false);
            if (!verified.IsSuccess)
            {
                return new StatusLookup { IsAvailable = false, Code = verified.Code, Reason = verified.Reason };
            }

            var lookup = ToLookup(verified.Value!, passportId);
            if (lookup is null)
            {
                return new StatusLookup { IsAvailable = false, Code = McpsCode.InvalidPassport, Reason = "bad_field" };
            }

            if (_statusCache.Count < _options.MaxCacheEntries || _statusCache.ContainsKey(passportId))
            {
                _statusCache[passportId] = new CachedStatus(lookup, now);
            }

            return lookup;
        }

        if (answer.Code != McpsCode.AuthorityUnreachable)
        {
            return new StatusLookup { IsAvailable = false, Code = answer.Code, Reason = answer.Reason };
        }

        var hasCache = _statusCache.TryGetValue(passportId, out cached);
        switch (_options.FailurePolicy)
        {
            case AuthorityFailurePolicy.FailOpenCached when hasCache && now - cached!.FetchedAt <= _options.MaxCachedAge:
            case AuthorityFailurePolicy.FailOpen when hasCache:
                return Copy(cached!.Lookup, fromCache: true);
            case AuthorityFailurePolicy.FailOpen:
                return new StatusLookup { IsAvailable = true, FailedOpen = true, Status = PassportStatusKind.Unknown, Code = McpsCode.AuthorityUnreachable, Reason = "status_unavailable" };
            default:
                return new StatusLookup { IsAvailable = false, Code = McpsCode.AuthorityUnreachable, Reason = "status_unavailable" };
        }
    }

    /// <summary>
    /// Fetches a stapled status (<c>io.agenttrust/status</c>, mcps.md §3.3) and checks its signature and that it is
    /// current: <c>valid_from ≤ now &lt; valid_until</c> and a lifetime of at most one hour.
    /// </summary>
    public async Task<AuthorityResult<JsonObject>> GetStapleAsync(string passportId, CancellationToken cancellationToken = default)
    {
        var answer = await SendAsync(HttpMethod.Get, $"v1/passports/{Uri.EscapeDataString(passportId)}/staple", null, null, cancellationToken).ConfigureAwait(false);
        if (!answer.IsSuccess)
        {
            return answer;
        }

        var key = await GetAuthorityKeyAsync(cancellationToken).ConfigureAwait(false);
        if (key is null)
        {
            return AuthorityResult<JsonObject>.Failure(McpsCode.AuthorityUnreachable, "status_unavailable");
        }

        var check = CheckStaple(answer.Value!, key, passportId, _time.GetUtcNow());
        return check.IsValid ? answer : AuthorityResult<JsonObject>.Failure(check.Code!.Value, check.Reason!, answer.HttpStatus);
    }

    /// <summary>
    /// Verifies a stapled status: the authority's signature, the passport it names, and that it is current
    /// (<c>valid_from ≤ now &lt; valid_until</c>, lifetime ≤ 1 h). A revoked staple fails with MCPS-003.
    /// </summary>
    public static AuthorityCheck CheckStaple(JsonObject staple, VerificationKey authorityKey, string passportId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(authorityKey);
        if (staple is null
            || !AuthoritySignedDocument.TryGetString(staple, "passport_id", out var id)
            || !AuthoritySignedDocument.TryGetString(staple, "status", out var statusText)
            || !AuthoritySignedDocument.TryGetString(staple, "valid_from", out var fromText)
            || !AuthoritySignedDocument.TryGetString(staple, "valid_until", out var untilText)
            || !PassportStatusNames.TryParse(statusText, out var status)
            || !McpsTimestamp.TryParse(fromText, out var from)
            || !McpsTimestamp.TryParse(untilText, out var until))
        {
            return AuthorityCheck.Fail(McpsCode.InvalidPassport, "bad_field");
        }

        var signature = AuthoritySignedDocument.VerifyEs256(staple, authorityKey, AuthorityDocumentKind.Staple);
        if (!signature.IsValid)
        {
            return signature;
        }

        if (!string.Equals(id, passportId, StringComparison.Ordinal))
        {
            return AuthorityCheck.Fail(McpsCode.InvalidPassport, "unknown_passport");
        }

        if (until <= from || until - from > TimeSpan.FromHours(1) || now < from || now >= until)
        {
            return AuthorityCheck.Fail(McpsCode.AuthorityUnreachable, "status_unavailable");
        }

        return status switch
        {
            PassportStatusKind.Active => AuthorityCheck.Success,
            PassportStatusKind.Revoked => AuthorityCheck.Fail(McpsCode.PassportRevoked, "revoked"),
            PassportStatusKind.Expired => AuthorityCheck.Fail(McpsCode.PassportExpired, "bad_validity"),
            _ => AuthorityCheck.Fail(McpsCode.InvalidPassport, "unknown_passport"),
        };
    }

    /// <summary>
    /// Fetches <c>GET /v1/revocations</c>, verifies it and replaces the local copy when its version is not older.
    /// Between syncs, <see cref="IsRevoked"/> answers from the local copy.
    /// </summary>
    public async Task<AuthorityResult<JsonObject>> SyncRevocationsAsync(CancellationToken cancellationToken = default)
    {
        var answer = await SendAsync(HttpMethod.Get, "v1/revocations", null, null, cancellationToken).ConfigureAwait(false);
        if (!answer.IsSuccess)
        {
            return answer;
        }

        var verified = await VerifiedAsync(answer.Value!, AuthorityDocumentKind.RevocationList, answer.HttpStatus, cancellationToken).ConfigureAwait(false);
        if (!verified.IsSuccess)
        {
            return verified;
        }

        var list = verified.Value!;
        if (list["version"] is not JsonValue versionNode || !versionNode.TryGetValue<long>(out var version) || list["entries"] is not JsonArray entries
            || !AuthoritySignedDocument.TryGetString(list, "next_update", out var nextText) || !McpsTimestamp.TryParse(nextText, out var nextUpdate))
        {
            return AuthorityResult<JsonObject>.Failure(McpsCode.InvalidPassport, "bad_field");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (entry is JsonObject o && AuthoritySignedDocument.TryGetString(o, "passport_id", out var id))
            {
                ids.Add(id);
            }
        }

        var current = _revocations;
        if (current is null || version >= current.Version)
        {
            _revocations = new RevocationSnapshot(version, nextUpdate, ids);
        }

        return verified;
    }

    /// <summary>True when the last synced revocation list names the passport; null when no list was synced.</summary>
    public bool? IsRevoked(string passportId) => _revocations is { } r ? r.Ids.Contains(passportId) : null;

    /// <summary>The next_update of the last synced revocation list.</summary>
    public DateTimeOffset? RevocationsNextUpdate => _revocations?.NextUpdate;

    /// <summary>
    /// Registers an agent: takes a challenge, signs it with <paramref name="agentKey"/> (the key of the passport's
    /// <c>public_key</c>) and returns the authority-signed passport after verifying its signature.
    /// </summary>
    public async Task<AuthorityResult<JsonObject>> RegisterAsync(JsonObject passport, SigningKey agentKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(passport);
        ArgumentNullException.ThrowIfNull(agentKey);
        if (!AuthoritySignedDocument.TryGetString(passport, "passport_id", out var passportId))
        {
            return AuthorityResult<JsonObject>.Failure(McpsCode.InvalidPassport, "bad_passport_id");
        }

        var challengeAnswer = await SendAsync(HttpMethod.Post, "v1/challenges", new JsonObject(), null, cancellationToken).ConfigureAwait(false);
        if (!challengeAnswer.IsSuccess)
        {
            return challengeAnswer;
        }

        if (!AuthoritySignedDocument.TryGetString(challengeAnswer.Value!, "challenge", out var challenge))
        {
            return AuthorityResult<JsonObject>.Failure(McpsCode.InternalError, "bad_field");
        }

        var proof = agentKey.Sign(RegistrationProof.BuildPreimage(challenge, passportId, passport));
        var body = new JsonObject
        {
            ["passport"] = passport.DeepClone(),
            ["challenge"] = challenge,
            ["signature"] = StrictBase64.Encode(proof),
        };
        var answer = await SendAsync(HttpMethod.Post, "v1/agents", body, null, cancellationToken).ConfigureAwait(false);
        if (!answer.IsSuccess)
        {
            return answer;
        }

        if (answer.Value!["passport"] is not JsonObject issued)
        {
            return AuthorityResult<JsonObject>.Failure(McpsCode.InvalidPassport, "bad_field", answer.HttpStatus);
        }

        var verified = await VerifiedAsync(issued, AuthorityDocumentKind.Passport, answer.HttpStatus, cancellationToken).ConfigureAwait(false);
        if (!verified.IsSuccess)
        {
            return verified;
        }

        // A validly signed passport is not enough: it must be the one asked for (same id, same key, same agent), or an
        // authority (or anyone replaying its answers) could hand back another agent's passport.
        return IsSamePassport(issued, passport, passportId)
            ? answer
            : AuthorityResult<JsonObject>.Failure(McpsCode.InvalidPassport, PassportMismatch, answer.HttpStatus);
    }

    /// <summary>The reason of an authority answer that is validly signed but names another passport than the one asked for.</summary>
    public const string PassportMismatch = "passport_mismatch";

    private static bool IsSamePassport(JsonObject issued, JsonObject requested, string passportId) =>
        AuthoritySignedDocument.TryGetString(issued, "passport_id", out var id) && string.Equals(id, passportId, StringComparison.Ordinal)
        && issued["public_key"] is JsonObject && JsonNode.DeepEquals(issued["public_key"], requested["public_key"])
        && issued["agent"] is JsonObject issuedAgent && requested["agent"] is JsonObject requestedAgent
        && JsonNode.DeepEquals(issuedAgent["name"], requestedAgent["name"]);

    /// <summary>
    /// Anchors an audit-log checkpoint (receipts.md §7.6). <paramref name="logKey"/> (Ed25519) proves possession;
    /// the authority binds the log to the key of its first checkpoint. Returns the verified anchor.
    /// </summary>
    public async Task<AuthorityResult<JsonObject>> AnchorCheckpointAsync(string logId, long recordCount, string recordHash, SigningKey logKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(logKey);
        var submitter = AuthoritySignedDocument.Ed25519Prefix + StrictBase64.Encode(logKey.PublicKey.RawPublicKey.Span);
        var proof = logKey.Sign(CheckpointProof.BuildPreimage(logId, recordCount, recordHash, submitter));
        var body = new JsonObject
        {
            ["log_id"] = logId,
            ["record_count"] = recordCount,
            ["record_hash"] = recordHash,
            ["submitter"] = submitter,
            ["sig"] = AuthoritySignedDocument.Ed25519Prefix + StrictBase64.Encode(proof),
        };
        var answer = await SendAsync(HttpMethod.Post, "v1/checkpoints", body, null, cancellationToken).ConfigureAwait(false);
        if (!answer.IsSuccess)
        {
            return answer;
        }

        return await CheckAnchorAsync(answer, logId, expected: (recordCount, recordHash), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The authority's record of a log (<c>GET /v1/checkpoints/{logId}?nonce=</c>): the highest head it anchored, verified
    /// with its anchor key (<see cref="GetAnchorKeyAsync"/>). Each call sends a fresh nonce and requires the authority's
    /// signed <see cref="CheckpointAnswer"/> to echo it, so an old answer replayed over plain http or by a cache (which could
    /// show a lower head and hide a truncated log) fails with MCPS-005 <see cref="CheckpointAnswer.NonceMismatch"/> or
    /// <see cref="CheckpointAnswer.NonceMissing"/>. The value is the embedded audit anchor. A log the authority holds no
    /// anchor of fails with MCPS-023 <see cref="CheckpointAnswer.UnknownLog"/> (HTTP status 404) only when its signed
    /// answer says so; an unsigned 404 fails with MCPS-005 <see cref="CheckpointAnswer.NonceMissing"/>.
    /// </summary>
    public async Task<AuthorityResult<JsonObject>> GetAnchorAsync(string logId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(logId);
        var nonce = McpsIdentifiers.NewNonce();
        var answer = await SendAsync(HttpMethod.Get, $"v1/checkpoints/{Uri.EscapeDataString(logId)}?nonce={nonce}", null, null, cancellationToken).ConfigureAwait(false);
        if (!answer.IsSuccess)
        {
            // Asked with a nonce, the authority signs "none held" too: an unsigned 404 or unknown_log problem (forged, or
            // from an older authority) is not it.
            return answer.HttpStatus == 404 || answer.Reason == CheckpointAnswer.UnknownLog
                ? AuthorityResult<JsonObject>.Failure(McpsCode.ReplayDetected, CheckpointAnswer.NonceMissing, answer.HttpStatus)
                : answer;
        }

        await GetAuthorityKeyAsync(cancellationToken).ConfigureAwait(false);
        if (_anchorKey is not { } anchorKey)
        {
            return AuthorityResult<JsonObject>.Failure(McpsCode.AuthorityUnreachable, "status_unavailable");
        }

        var fresh = CheckpointAnswer.Verify(answer.Value!, logId, nonce, anchorKey, answer.HttpStatus);
        return fresh.IsSuccess ? await CheckAnchorAsync(fresh, logId, expected: null, cancellationToken).ConfigureAwait(false) : fresh;
    }

    /// <summary>
    /// The Ed25519 key audit anchors are verified with: the pinned <see cref="TrustAuthorityClientOptions.AnchorKey"/>,
    /// else the one in the authority's JWKS (fetched once); null when neither is available.
    /// </summary>
    public async Task<VerificationKey?> GetAnchorKeyAsync(CancellationToken cancellationToken = default)
    {
        await GetAuthorityKeyAsync(cancellationToken).ConfigureAwait(false);
        return _anchorKey;
    }

    private async Task<AuthorityResult<JsonObject>> CheckAnchorAsync(AuthorityResult<JsonObject> answer, string logId, (long Count, string Hash)? expected, CancellationToken cancellationToken)
    {
        await GetAuthorityKeyAsync(cancellationToken).ConfigureAwait(false);
        var anchorKey = _anchorKey;
        if (anchorKey is null)
        {
            return AuthorityResult<JsonObject>.Failure(McpsCode.AuthorityUnreachable, "status_unavailable");
        }

        // Parsed and signature-checked by the audit-log code; the signer must be this authority's anchor key.
        var anchor = AgentTrust.Audit.AuditAnchor.TryParse(System.Text.Encoding.UTF8.GetBytes(answer.Value!.ToJsonString()), out _);
        if (anchor is null || !anchor.IsSignedByAny([anchorKey]))
        {
            return AuthorityResult<JsonObject>.Failure(McpsCode.InvalidSignature, "signature_mismatch", answer.HttpStatus);
        }

        if (!string.Equals(anchor.LogId, logId, StringComparison.Ordinal)
            || (expected is { } e && (anchor.RecordCount != e.Count || !string.Equals(anchor.RecordHash, e.Hash, StringComparison.Ordinal))))
        {
            return AuthorityResult<JsonObject>.Failure(McpsCode.AuditChainBroken, "anchor_mismatch", answer.HttpStatus);
        }

        return answer;
    }

    /// <summary>Revokes a passport (admin). Returns the authority's signed status after the change.</summary>
    public Task<AuthorityResult<JsonObject>> RevokeAsync(string passportId, string reason, string adminToken, CancellationToken cancellationToken = default) =>
        AdminAsync($"v1/passports/{Uri.EscapeDataString(passportId)}/revoke", new JsonObject { ["reason"] = reason }, adminToken, cancellationToken);

    /// <summary>Sets a passport's trust level (admin). Returns the authority's signed status after the change.</summary>
    public Task<AuthorityResult<JsonObject>> SetTrustLevelAsync(string passportId, int level, string reason, string adminToken, CancellationToken cancellationToken = default) =>
        AdminAsync($"v1/passports/{Uri.EscapeDataString(passportId)}/trust-level", new JsonObject { ["level"] = level, ["reason"] = reason }, adminToken, cancellationToken);

    /// <summary>
    /// <see cref="IPassportStatusProvider"/> for the MCPS verifier: the status through the failure policy, or null when
    /// none is available (the verifier then applies its <see cref="StatusPolicy"/>). A fail-open answer without a
    /// status is reported as null too, so the verifier's own policy decides.
    /// </summary>
    async ValueTask<PassportStatus?> IPassportStatusProvider.GetStatusAsync(string passportId, CancellationToken cancellationToken)
    {
        var lookup = await GetStatusAsync(passportId, cancellationToken).ConfigureAwait(false);
        return lookup.IsAvailable && !lookup.FailedOpen ? new PassportStatus(lookup.Status, lookup.TrustLevel) : null;
    }

    /// <summary><see cref="IPassportResolver"/> for the MCPS verifier: the authority-signed passport's JSON, null when unknown.</summary>
    /// <exception cref="PassportResolutionException">The authority is unreachable or its answer does not verify.</exception>
    async ValueTask<ReadOnlyMemory<byte>?> IPassportResolver.ResolveAsync(string passportId, CancellationToken cancellationToken)
    {
        var result = await ResolvePassportAsync(passportId, cancellationToken).ConfigureAwait(false);
        if (result.IsSuccess)
        {
            return AgentTrust.Json.JsonCanonicalizer.Canonicalize(result.Value, AgentTrust.Json.CanonicalJsonOptions.Strict);
        }

        if (result.HttpStatus == 404)
        {
            return null;
        }

        throw new PassportResolutionException("The Trust Authority could not provide the passport (" + result.Reason + ").");
    }

    /// <summary>Forgets cached status answers (for example after a local policy change).</summary>
    public void ClearStatusCache() => _statusCache.Clear();

    private async Task<AuthorityResult<JsonObject>> AdminAsync(string path, JsonObject body, string adminToken, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(adminToken);
        var answer = await SendAsync(HttpMethod.Post, path, body, adminToken, cancellationToken).ConfigureAwait(false);
        if (!answer.IsSuccess)
        {
            return answer;
        }

        _statusCache.Clear();
        return await VerifiedAsync(answer.Value!, AuthorityDocumentKind.Status, answer.HttpStatus, cancellationToken).ConfigureAwait(false);
    }

    private async Task<AuthorityResult<JsonObject>> VerifiedAsync(JsonObject document, AuthorityDocumentKind kind, int httpStatus, CancellationToken cancellationToken)
    {
        var key = await GetAuthorityKeyAsync(cancellationToken).ConfigureAwait(false);
        if (key is null)
        {
            return AuthorityResult<JsonObject>.Failure(McpsCode.AuthorityUnreachable, "status_unavailable");
        }

        var check = AuthoritySignedDocument.VerifyEs256(document, key, kind);
        return check.IsValid ? AuthorityResult<JsonObject>.Success(document, httpStatus) : AuthorityResult<JsonObject>.Failure(check.Code!.Value, check.Reason!, httpStatus);
    }

    private async Task<VerificationKey?> GetAuthorityKeyAsync(CancellationToken cancellationToken)
    {
        if (_authorityKey is not null && _anchorKey is not null)
        {
            return _authorityKey;
        }

        await _keyGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_authorityKey is not null && _anchorKey is not null)
            {
                return _authorityKey;
            }

            var jwks = await SendAsync(HttpMethod.Get, ".well-known/jwks.json", null, null, cancellationToken).ConfigureAwait(false);
            if (jwks.IsSuccess && jwks.Value!["keys"] is JsonArray keys)
            {
                foreach (var node in keys)
                {
                    if (node is JsonObject o && JsonWebKey.TryParse(o.ToJsonString(), out var jwk, out _) && jwk is not null)
                    {
                        var key = jwk.ToVerificationKey();
                        if (key.Algorithm == SignatureAlgorithm.ES256)
                        {
                            _authorityKey ??= key;
                        }
                        else
                        {
                            _anchorKey ??= key;
                        }
                    }
                }
            }

            return _authorityKey;
        }
        finally
        {
            _keyGate.Release();
        }
    }

    private async Task<AuthorityResult<JsonObject>> SendAsync(HttpMethod method, string path, JsonObject? body, string? adminToken, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        }

        if (adminToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            return AuthorityResult<JsonObject>.Failure(McpsCode.AuthorityUnreachable, "status_unavailable");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return AuthorityResult<JsonObject>.Failure(McpsCode.AuthorityUnreachable, "status_unavailable");
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (status >= 500 && status != 503)
            {
                return AuthorityResult<JsonObject>.Failure(McpsCode.AuthorityUnreachable, "status_unavailable", status);
            }

            byte[] bytes;
            try
            {
                bytes = await ReadBoundedAsync(response, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException)
            {
                return AuthorityResult<JsonObject>.Failure(McpsCode.AuthorityUnreachable, "status_unavailable", status);
            }
            catch (InvalidDataException)
            {
                return AuthorityResult<JsonObject>.Failure(McpsCode.InputLimitExceeded, "too_large", status);
            }

            JsonObject? document;
            try
            {
                document = JsonNode.Parse(bytes, documentOptions: ParseOptions) as JsonObject;
            }
            catch (JsonException)
            {
                document = null;
            }

            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                return AuthorityResult<JsonObject>.Failure(McpsCode.AuthorityUnreachable, "status_unavailable", status);
            }

            if (!response.IsSuccessStatusCode)
            {
                var code = McpsCode.InternalError;
                var reason = "http_" + status.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (document is not null)
                {
                    if (AuthoritySignedDocument.TryGetString(document, "mcps_code", out var codeText) && McpsCodes.TryParse(codeText, out var parsedCode))
                    {
                        code = parsedCode;
                    }

                    if (AuthoritySignedDocument.TryGetString(document, "reason", out var reasonText))
                    {
                        reason = reasonText;
                    }
                }

                return AuthorityResult<JsonObject>.Failure(code, reason, status);
            }

            return document is null
                ? AuthorityResult<JsonObject>.Failure(McpsCode.NonCanonicalInput, "bad_field", status)
                : AuthorityResult<JsonObject>.Success(document, status);
        }
    }

    private async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var limit = _options.MaxResponseBytes;
        if (response.Content.Headers.ContentLength is long declared && declared > limit)
        {
            throw new InvalidDataException("response too large");
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    throw new InvalidDataException("response too large");
                }

                buffer.Write(chunk, 0, read);
            }

            return buffer.ToArray();
        }
    }

    private static StatusLookup? ToLookup(JsonObject document, string passportId)
    {
        if (!AuthoritySignedDocument.TryGetString(document, "passport_id", out var id) || !string.Equals(id, passportId, StringComparison.Ordinal)
            || !AuthoritySignedDocument.TryGetString(document, "status", out var statusText) || !PassportStatusNames.TryParse(statusText, out var status)
            || !AuthoritySignedDocument.TryGetString(document, "checked_at", out var checkedText) || !McpsTimestamp.TryParse(checkedText, out var checkedAt)
            || !AuthoritySignedDocument.TryGetString(document, "valid_until", out var untilText) || !McpsTimestamp.TryParse(untilText, out var validUntil))
        {
            return null;
        }

        int? level = document["trust_level"] is JsonValue lv && lv.TryGetValue<int>(out var l) ? l : null;
        return new StatusLookup { IsAvailable = true, Status = status, TrustLevel = level, CheckedAt = checkedAt, ValidUntil = validUntil, Document = document };
    }

    private static StatusLookup Copy(StatusLookup source, bool fromCache) => new()
    {
        IsAvailable = source.IsAvailable,
        Status = source.Status,
        TrustLevel = source.TrustLevel,
        CheckedAt = source.CheckedAt,
        ValidUntil = source.ValidUntil,
        Document = source.Document,
        FromCache = fromCache,
    };

    private sealed record CachedStatus(StatusLookup Lookup, DateTimeOffset FetchedAt);

    private sealed record RevocationSnapshot(long Version, DateTimeOffset NextUpdate, HashSet<string> Ids);
}
