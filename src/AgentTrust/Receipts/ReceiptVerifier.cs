using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Errors;
using AgentTrust.Json;
using AgentTrust.Replay;

namespace AgentTrust.Receipts;

/// <summary>
/// Verifies receipts v1–v4 and delegation tokens strictly (receipts.md §5.2): the signable of the receipt's version,
/// the recomputed <c>id</c> and <c>params_hash</c>, unknown members, trust anchors, expiry, time windows, the v3
/// agent receipt and cross-checks, the whole v4 chain with a recomputed <c>chain_hash</c>, and replay (live mode, last).
/// Never throws on bad input.
/// </summary>
public sealed class ReceiptVerifier
{
    /// <summary>The longest delegation chain accepted.</summary>
    public const int MaxChainLength = 16;

    private readonly IReceiptTrustAnchors? _anchors;
    private readonly IReplayStore? _replay;
    private readonly TimeProvider _time;

    /// <summary>Creates a verifier.</summary>
    /// <param name="anchors">Trust anchors; without them no verdict reaches <see cref="ReceiptTrustLevel.Trusted"/>.</param>
    /// <param name="replay">The replay store for live mode, partitioned by signer key (v3: server key) (without it live verdicts carry the warning <c>replay_not_checked</c>).</param>
    /// <param name="time">The clock.</param>
    public ReceiptVerifier(IReceiptTrustAnchors? anchors = null, IReplayStore? replay = null, TimeProvider? time = null)
    {
        _anchors = anchors;
        _replay = replay;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Verifies a receipt given as UTF-8 JSON text.</summary>
    public ValueTask<ReceiptVerdict> VerifyAsync(ReadOnlyMemory<byte> utf8Json, ReceiptVerificationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var receipt = Receipt.TryParse(utf8Json.Span, out var reason);
        if (receipt is null)
        {
            var code = reason is "too_large" or "too_deep" ? McpsCode.InputLimitExceeded : McpsCode.ReceiptInvalid;
            return ValueTask.FromResult(ReceiptVerdict.Fail(options.Mode, 0, reason is "unsupported_version" or "malformed" or "invalid_json" ? "malformed" : reason!, [], code));
        }

        return VerifyAsync(receipt, options, cancellationToken);
    }

    /// <summary>Verifies a parsed receipt.</summary>
    public async ValueTask<ReceiptVerdict> VerifyAsync(Receipt receipt, ReceiptVerificationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Mode == ReceiptVerificationMode.Live && options.ExpectedVersion is null)
        {
            throw new ArgumentException("Live verification needs the expected version.", nameof(options));
        }

        var run = new Run(this, options, receipt.Version);
        try
        {
            await run.VerifyReceiptAsync(receipt.Json, cancellationToken).ConfigureAwait(false);
        }
        catch (CanonicalJsonException e)
        {
            run.Fail(e.Error.Reason == "unsafe_number" ? "unsafe_number" : "malformed");
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException or ArgumentException)
        {
            run.Fail("malformed");
        }

        return run.ToVerdict();
    }

    /// <summary>
    /// Verifies a delegation token on its own: shape, id, signature, and validity at <paramref name="at"/>;
    /// <see cref="ReceiptTrustLevel.Trusted"/> when the delegator is an anchored delegation root.
    /// </summary>
    public async ValueTask<ReceiptVerdict> VerifyDelegationAsync(DelegationToken token, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        var run = new Run(this, ReceiptVerificationOptions.Forensic, 1);
        try
        {
            if (run.CheckToken(token.Json, at, at, "delegation"))
            {
                var delegator = ReceiptShape.GetString((JsonObject)token.Json["delegator"]!, "pubkey")!;
                await run.RequireTrustAsync(delegator, ReceiptKeyRole.DelegationRoot, at, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (CanonicalJsonException)
        {
            run.Fail("unsafe_number");
        }

        return run.ToVerdict();
    }

    /// <summary>The state of one verification.</summary>
    private sealed class Run(ReceiptVerifier owner, ReceiptVerificationOptions options, int version)
    {
        private readonly List<string> _warnings = [];
        private string? _failure;
        private McpsCode _code = McpsCode.ReceiptInvalid;
        private bool _untrusted;
        private bool _unanchored;

        private bool Live => options.Mode == ReceiptVerificationMode.Live;

        public void Fail(string reason, McpsCode code = McpsCode.ReceiptInvalid)
        {
            if (_failure is null)
            {
                _failure = reason;
                _code = code;
            }
        }

        public ReceiptVerdict ToVerdict()
        {
            if (_failure is not null)
            {
                return ReceiptVerdict.Fail(options.Mode, version, _failure, _warnings, _code);
            }

            var level = _untrusted ? ReceiptTrustLevel.SelfConsistent : _unanchored ? ReceiptTrustLevel.Unanchored : ReceiptTrustLevel.Trusted;
            if (level != ReceiptTrustLevel.Trusted)
            {
                _warnings.Add(level == ReceiptTrustLevel.SelfConsistent ? "integrity_only" : "unanchored");
            }

            return new ReceiptVerdict(true, level, options.Mode, version, null, null, _warnings);
        }

        public async ValueTask VerifyReceiptAsync(JsonObject receipt, CancellationToken ct)
        {
            if (options.ExpectedVersion is { } expected && expected != version)
            {
                Fail("unexpected_version");
                return;
            }

            var unknown = new List<string>();
            var shape = ReceiptShape.Check(receipt, version, unknown);
            if (shape is not null)
            {
                Fail(shape == "malformed_timestamp" ? "malformed" : shape);
                return;
            }

            if (unknown.Count > 0)
            {
                if (Live || !options.ReportUnknownMembers)
                {
                    Fail("unknown_member");
                    return;
                }

                _warnings.AddRange(unknown.Select(u => "unknown_member:" + u));
            }

            if (receipt.ContainsKey("extensions"))
            {
                _warnings.Add("unsigned_extensions");
            }

            var now = owner._time.GetUtcNow();
            switch (version)
            {
                case 1:
                    await VerifyV1Async(receipt, now, ReceiptKeyRole.Agent, ct).ConfigureAwait(false);
                    break;
                case 2:
                    await VerifyV2Async(receipt, now, ct).ConfigureAwait(false);
                    break;
                case 3:
                    await VerifyV3Async(receipt, now, ct).ConfigureAwait(false);
                    break;
                case 4:
                    await VerifyV4Async(receipt, now, ct).ConfigureAwait(false);
                    break;
            }
        }

        private async ValueTask VerifyV1Async(JsonObject receipt, DateTimeOffset now, ReceiptKeyRole role, CancellationToken ct, bool checkWindowAndReplay = true)
        {
            var signer = ReceiptShape.GetString((JsonObject)receipt["signer"]!, "pubkey")!;
            if (!CheckSigned(receipt, 1, signer) || !CheckParams(receipt))
            {
                return;
            }

            var ts = Time(receipt, "ts");
            await RequireTrustAsync(signer, role, Live ? now : ts, ct).ConfigureAwait(false);
            if (receipt.ContainsKey("exp") && now > Time(receipt, "exp"))
            {
                if (Live)
                {
                    Fail("expired");
                    return;
                }

                _warnings.Add("expired");
            }

            if (checkWindowAndReplay)
            {
                CheckWindow(ts, now);
                await ReplayAsync(signer, receipt, ts, ct).ConfigureAwait(false);
            }
        }

        private async ValueTask VerifyV2Async(JsonObject receipt, DateTimeOffset now, CancellationToken ct)
        {
            var signer = ReceiptShape.GetString((JsonObject)receipt["signer"]!, "pubkey")!;
            if (!CheckSigned(receipt, 2, signer) || !CheckParams(receipt))
            {
                return;
            }

            var request = Time(receipt, "ts_request");
            var response = Time(receipt, "ts_response");
            if (request > response)
            {
                Fail("window");
                return;
            }

            await RequireTrustAsync(signer, ReceiptKeyRole.Agent, Live ? now : request, ct).ConfigureAwait(false);
            CheckWindow(response, now);
            await ReplayAsync(signer, receipt, response, ct).ConfigureAwait(false);
        }

        private async ValueTask VerifyV3Async(JsonObject receipt, DateTimeOffset now, CancellationToken ct)
        {
            var server = ReceiptShape.GetString((JsonObject)receipt["server"]!, "pubkey")!;
            if (!CheckSigned(receipt, 3, server))
            {
                return;
            }

            var agent = (JsonObject)receipt["agent_receipt"]!;
            var response = Time(receipt, "ts_response");
            await RequireTrustAsync(server, ReceiptKeyRole.Server, Live ? now : response, ct).ConfigureAwait(false);
            await VerifyV1Async(agent, now, ReceiptKeyRole.Agent, ct, checkWindowAndReplay: false).ConfigureAwait(false);
            if (_failure is not null)
            {
                return;
            }

            var agentTs = Time(agent, "ts");
            if (agentTs > response || (Live && (response - agentTs).Duration() > options.BilateralWindow))
            {
                Fail("window");
                return;
            }

            var action = (JsonObject)agent["action"]!;
            if (options.ExpectedSession is { } session && (ReceiptShape.GetString(action, "session") ?? "") != session)
            {
                Fail("session_mismatch");
                return;
            }

            if (options.ExpectedCallId is { } callId && (ReceiptShape.GetString(action, "call_id") ?? "") != callId)
            {
                Fail("call_id_mismatch");
                return;
            }

            CheckWindow(response, now);
            await ReplayAsync(server, receipt, response, ct).ConfigureAwait(false);
        }

        private async ValueTask VerifyV4Async(JsonObject receipt, DateTimeOffset now, CancellationToken ct)
        {
            var signer = ReceiptShape.GetString((JsonObject)receipt["signer"]!, "pubkey")!;
            if (!CheckSigned(receipt, 4, signer) || !CheckParams(receipt))
            {
                return;
            }

            var authorization = (JsonObject)receipt["authorization"]!;
            var chain = (JsonArray)authorization["chain"]!;
            if (ReceiptSignables.ChainHash(chain, CanonicalJsonOptions.Strict) != ReceiptShape.GetString(authorization, "chain_hash"))
            {
                Fail("chain_hash_mismatch", McpsCode.DelegationInvalid);
                return;
            }

            var ts = Time(receipt, "ts");
            if (chain.Count == 0 || chain.Count > MaxChainLength)
            {
                Fail("chain_invalid", McpsCode.DelegationInvalid);
                return;
            }

            var root = (JsonObject)((JsonObject)chain[0]!)["delegator"]!;
            if (ReceiptShape.GetString(root, "pubkey") != ReceiptShape.GetString(authorization, "root_pubkey")
                || ReceiptShape.GetString((JsonObject)receipt["signer"]!, "owner") != ReceiptShape.GetString(root, "name"))
            {
                Fail("chain_invalid", McpsCode.DelegationInvalid);
                return;
            }

            JsonObject? previous = null;
            DateTimeOffset? earliestExpiry = null;
            for (var i = 0; i < chain.Count; i++)
            {
                var token = (JsonObject)chain[i]!;
                if (!CheckToken(token, ts, Live ? now : ts, "chain_invalid"))
                {
                    return;
                }

                var scope = (JsonObject)token["scope"]!;
                ReceiptShape.TryGetUInt32(scope["max_depth"], out var depth);
                if (chain.Count - 1 - i > depth)
                {
                    Fail("scope", McpsCode.DelegationInvalid);
                    return;
                }

                var expires = scope.ContainsKey("expires") ? Time(scope, "expires") : (DateTimeOffset?)null;
                if (expires is { } e && (earliestExpiry is null || e < earliestExpiry))
                {
                    earliestExpiry = e;
                }

                if (previous is not null)
                {
                    if (Key(token, "delegator") != Key(previous, "delegate"))
                    {
                        Fail("chain_invalid", McpsCode.DelegationInvalid);
                        return;
                    }

                    var parentScope = (JsonObject)previous["scope"]!;
                    ReceiptShape.TryGetUInt32(parentScope["max_depth"], out var parentDepth);
                    if (!DelegationRules.Narrows(Strings(parentScope["tools"]), Strings(parentScope["targets"]), parentDepth,
                            parentScope.ContainsKey("expires") ? Time(parentScope, "expires") : null,
                            Strings(scope["tools"]), Strings(scope["targets"]), depth, expires))
                    {
                        Fail("scope", McpsCode.DelegationInvalid);
                        return;
                    }
                }

                previous = token;
            }

            if (Key(previous!, "delegate") != signer)
            {
                Fail("chain_invalid", McpsCode.DelegationInvalid);
                return;
            }

            var lastScope = (JsonObject)previous!["scope"]!;
            var action = (JsonObject)receipt["action"]!;
            if (!DelegationRules.Allows(Strings(lastScope["tools"]), ReceiptShape.GetString(action, "tool")!)
                || !DelegationRules.Allows(Strings(lastScope["targets"]), ReceiptShape.GetString(action, "target")!))
            {
                Fail("scope", McpsCode.DelegationInvalid);
                return;
            }

            await RequireTrustAsync(ReceiptShape.GetString(root, "pubkey")!, ReceiptKeyRole.DelegationRoot, Live ? now : ts, ct).ConfigureAwait(false);
            if (!Live && earliestExpiry is { } limit && (options.AnchoredAt is not { } anchoredAt || anchoredAt > limit || anchoredAt < ts))
            {
                _unanchored = true;
            }

            CheckWindow(ts, now);
            await ReplayAsync(signer, receipt, ts, ct).ConfigureAwait(false);
        }

        /// <summary>Shape, id, signature and validity of one token at the receipt time and at <paramref name="check"/>.</summary>
        public bool CheckToken(JsonObject token, DateTimeOffset at, DateTimeOffset check, string reason)
        {
            var unknown = new List<string>();
            if (ReceiptShape.CheckToken(token, unknown) is not null)
            {
                Fail(reason, McpsCode.DelegationInvalid);
                return false;
            }

            if (unknown.Count > 0)
            {
                if (Live || !options.ReportUnknownMembers)
                {
                    Fail("unknown_member", McpsCode.DelegationInvalid);
                    return false;
                }

                _warnings.AddRange(unknown.Select(u => "unknown_member:" + u));
            }

            var scope = (JsonObject)token["scope"]!;
            if (DelegationRules.CheckScope(Strings(scope["tools"]), Strings(scope["targets"]), ReceiptShape.GetString(scope, "expires")) is not null)
            {
                Fail("scope", McpsCode.DelegationInvalid);
                return false;
            }

            var delegator = Key(token, "delegator");
            if (!CheckSignature(token, ReceiptSignables.Token(token, CanonicalJsonOptions.Strict), delegator, "del_", reason, McpsCode.DelegationInvalid))
            {
                return false;
            }

            if (Time(token, "issued_at") > at + options.FutureSkew)
            {
                Fail(reason, McpsCode.DelegationInvalid);
                return false;
            }

            if (scope.ContainsKey("expires"))
            {
                var expires = Time(scope, "expires");
                if (at > expires || check > expires)
                {
                    Fail("expired", McpsCode.DelegationInvalid);
                    return false;
                }
            }

            return true;
        }

        public async ValueTask RequireTrustAsync(string key, ReceiptKeyRole role, DateTimeOffset at, CancellationToken ct)
        {
            var trusted = owner._anchors is not null && await owner._anchors.IsTrustedAsync(key, role, at, ct).ConfigureAwait(false);
            if (!trusted)
            {
                if (Live)
                {
                    Fail("untrusted_key");
                }

                _untrusted = true;
            }
        }

        private bool CheckSigned(JsonObject receipt, int signedVersion, string publicKey)
            => CheckSignature(receipt, ReceiptSignables.ForVersion(signedVersion, receipt, CanonicalJsonOptions.Strict), publicKey, "rec_", "bad_signature", McpsCode.ReceiptInvalid);

        private bool CheckSignature(JsonObject obj, byte[] signable, string? publicKey, string idPrefix, string reason, McpsCode code)
        {
            if (!ReceiptEncoding.TryParseSignature(ReceiptShape.GetString(obj, "sig"), out var signature))
            {
                Fail(reason, code);
                return false;
            }

            if (ReceiptShape.GetString(obj, "id") != ReceiptEncoding.ComputeId(idPrefix, signature))
            {
                Fail(idPrefix == "rec_" ? "id_mismatch" : reason, code);
                return false;
            }

            if (!ReceiptEncoding.TryParsePublicKey(publicKey, out var key) || key!.Verify(signable, signature) != SignatureStatus.Valid)
            {
                Fail(reason, code);
                return false;
            }

            return true;
        }

        private bool CheckParams(JsonObject receipt)
        {
            var action = (JsonObject)receipt["action"]!;
            var parameters = action["params"];
            var stated = ReceiptShape.GetString(action, "params_hash");
            if (parameters is null && stated is { Length: > 0 })
            {
                return true;
            }

            if (ReceiptEncoding.ContentHash(parameters, CanonicalJsonOptions.Strict) != stated)
            {
                Fail("params_hash_mismatch");
                return false;
            }

            return true;
        }

        private void CheckWindow(DateTimeOffset ts, DateTimeOffset now)
        {
            if (Live && (ts < now - options.MaxAge || ts > now + options.FutureSkew))
            {
                Fail("window");
            }
        }

        private async ValueTask ReplayAsync(string partition, JsonObject receipt, DateTimeOffset ts, CancellationToken ct)
        {
            if (!Live || _failure is not null)
            {
                return;
            }

            if (owner._replay is null)
            {
                _warnings.Add("replay_not_checked");
                return;
            }

            // A store that may have lost registrations in an unclean restart (the SQLite restart fence) cannot say a receipt
            // dated before its fence was never seen: refused, as the MCPS and attestation verifiers do.
            if (owner._replay.RestartFence is { } fence && ts <= fence + options.FutureSkew)
            {
                Fail("before_restart_fence");
                return;
            }

            var nonce = ReceiptShape.GetString(receipt, "nonce")!;
            var expiresAt = ts + options.MaxAge + options.FutureSkew;
            var result = await owner._replay.TryRegisterAsync(partition, nonce, expiresAt, ct).ConfigureAwait(false);
            if (result != ReplayCheckResult.Accepted)
            {
                Fail(result == ReplayCheckResult.Replayed ? "replay" : "replay_unavailable");
            }
        }

        private static DateTimeOffset Time(JsonObject obj, string name)
            => ReceiptEncoding.TryParseTimestamp(ReceiptShape.GetString(obj, name), out var t) ? t : throw new FormatException("timestamp");

        private static string? Key(JsonObject token, string party) => ReceiptShape.GetString((JsonObject)token[party]!, "pubkey");

        private static string[] Strings(JsonNode? node) => node is JsonArray a ? [.. a.Select(n => n!.GetValue<string>())] : [];
    }
}
