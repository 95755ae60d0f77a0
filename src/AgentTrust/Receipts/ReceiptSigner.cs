using System.Text.Json.Nodes;
using AgentTrust.Cryptography;
using AgentTrust.Json;

namespace AgentTrust.Receipts;

/// <summary>
/// Creates Signet-compatible receipts (v1–v4) and delegation tokens with one Ed25519 key. The key is not owned
/// (the caller disposes it). Params and response content are canonicalised under the Signet number rule, so an
/// unsafe integer fails with <see cref="CanonicalJsonException"/> (reason <c>unsafe_number</c>) instead of producing
/// a receipt Signet could not verify.
/// </summary>
public sealed class ReceiptSigner
{
    private readonly SigningKey _key;
    private readonly TimeProvider _time;

    /// <summary>Creates a signer.</summary>
    /// <param name="key">An Ed25519 signing key.</param>
    /// <param name="name">The signer's name (the key name; <c>signer.name</c>, or <c>server.name</c> when countersigning).</param>
    /// <param name="owner">The owner (<c>signer.owner</c>; "" when unset).</param>
    /// <param name="time">The clock (defaults to the system clock).</param>
    public ReceiptSigner(SigningKey key, string name, string owner = "", TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(owner);
        if (key.Algorithm != SignatureAlgorithm.EdDSA)
        {
            throw new ArgumentException("Receipts are signed with Ed25519 keys only.", nameof(key));
        }

        _key = key;
        _time = time ?? TimeProvider.System;
        Name = name;
        Owner = owner;
        PublicKey = ReceiptEncoding.FormatPublicKey(key.PublicKey);
    }

    /// <summary>The signer's name.</summary>
    public string Name { get; }

    /// <summary>The signer's owner.</summary>
    public string Owner { get; }

    /// <summary>The public key, <c>ed25519:…</c>.</summary>
    public string PublicKey { get; }

    /// <summary>Test hook: fixed nonces to reproduce vectors. Production code always uses fresh random nonces.</summary>
    internal Func<string> NonceSource { get; init; } = ReceiptEncoding.NewNonce;

    /// <summary>Signs a v1 (unilateral) receipt, optionally with a policy attestation and an expiry (both signed).</summary>
    public Receipt Sign(ReceiptAction action, PolicyAttestation? policy = null, DateTimeOffset? expires = null)
    {
        var body = new JsonObject
        {
            ["action"] = BuildAction(action),
            ["signer"] = SignerObject(Owner),
        };
        if (policy is not null)
        {
            body["policy"] = new JsonObject
            {
                ["policy_hash"] = policy.PolicyHash,
                ["policy_name"] = policy.PolicyName,
                ["matched_rules"] = new JsonArray([.. policy.MatchedRules.Select(r => (JsonNode?)JsonValue.Create(r))]),
                ["decision"] = policy.Decision,
                ["reason"] = policy.Reason,
            };
        }

        body["ts"] = ReceiptEncoding.FormatTimestamp(_time.GetUtcNow());
        if (expires is { } exp)
        {
            body["exp"] = ReceiptEncoding.FormatTimestamp(exp);
        }

        body["nonce"] = NonceSource();
        return Finish(1, body, ReceiptSignables.V1);
    }

    /// <summary>Signs a v2 (compound) receipt over the request and the response content (the JSON-RPC <c>result</c> or <c>error</c>).</summary>
    public Receipt SignCompound(ReceiptAction action, JsonNode? responseContent, DateTimeOffset requestedAt)
    {
        var now = _time.GetUtcNow();
        if (requestedAt > now)
        {
            throw new ArgumentException("The request time is after the response time.", nameof(requestedAt));
        }

        var body = new JsonObject
        {
            ["action"] = BuildAction(action),
            ["response"] = new JsonObject { ["content_hash"] = ReceiptEncoding.ContentHash(responseContent) },
            ["signer"] = SignerObject(Owner),
            ["ts_request"] = ReceiptEncoding.FormatTimestamp(requestedAt),
            ["ts_response"] = ReceiptEncoding.FormatTimestamp(now),
            ["nonce"] = NonceSource(),
        };
        return Finish(2, body, ReceiptSignables.V2);
    }

    /// <summary>
    /// Countersigns an agent's v1 receipt as the server (v3, bilateral): binds the agent receipt, the response content
    /// and the outcome. <see cref="Name"/> becomes <c>server.name</c>.
    /// </summary>
    public Receipt Countersign(Receipt agentReceipt, JsonNode? responseContent, ResponseOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(agentReceipt);
        ArgumentNullException.ThrowIfNull(outcome);
        if (agentReceipt.Version != 1)
        {
            throw new ArgumentException("Only a v1 agent receipt can be countersigned.", nameof(agentReceipt));
        }

        if (!ResponseOutcome.IsKnownStatus(outcome.Status))
        {
            throw new ArgumentException("Unknown outcome status.", nameof(outcome));
        }

        var outcomeObject = new JsonObject { ["status"] = outcome.Status };
        if (outcome.Reason is not null)
        {
            outcomeObject["reason"] = outcome.Reason;
        }

        if (outcome.Error is not null)
        {
            outcomeObject["error"] = outcome.Error;
        }

        var body = new JsonObject
        {
            ["agent_receipt"] = agentReceipt.Json.DeepClone(),
            ["response"] = new JsonObject
            {
                ["content_hash"] = ReceiptEncoding.ContentHash(responseContent),
                ["outcome"] = outcomeObject,
            },
            ["server"] = new JsonObject { ["pubkey"] = PublicKey, ["name"] = Name },
            ["ts_response"] = ReceiptEncoding.FormatTimestamp(_time.GetUtcNow()),
            ["nonce"] = NonceSource(),
        };
        return Finish(3, body, ReceiptSignables.V3);
    }

    /// <summary>
    /// Signs a v4 (delegation-authorised) receipt. This signer must be the delegate of the last token;
    /// <c>signer.owner</c> becomes the root delegator's name.
    /// </summary>
    public Receipt SignAuthorized(ReceiptAction action, IReadOnlyList<DelegationToken> chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        if (chain.Count == 0 || chain.Count > ReceiptVerifier.MaxChainLength)
        {
            throw new ArgumentException("A delegation chain holds 1 to 16 tokens.", nameof(chain));
        }

        var last = chain[^1].Json["delegate"] as JsonObject;
        if (last is null || ReceiptShape.GetString(last, "pubkey") != PublicKey)
        {
            throw new ArgumentException("This key is not the delegate of the last token.", nameof(chain));
        }

        var root = (JsonObject)chain[0].Json["delegator"]!;
        var chainArray = new JsonArray([.. chain.Select(t => t.Json.DeepClone())]);
        var body = new JsonObject
        {
            ["action"] = BuildAction(action),
            ["signer"] = SignerObject(ReceiptShape.GetString(root, "name") ?? ""),
            ["authorization"] = new JsonObject
            {
                ["chain"] = chainArray,
                ["chain_hash"] = ReceiptSignables.ChainHash(chainArray, CanonicalJsonOptions.Signet),
                ["root_pubkey"] = ReceiptShape.GetString(root, "pubkey"),
            },
            ["ts"] = ReceiptEncoding.FormatTimestamp(_time.GetUtcNow()),
            ["nonce"] = NonceSource(),
        };
        return Finish(4, body, ReceiptSignables.V4);
    }

    /// <summary>Issues a delegation token from this key to <paramref name="delegateKey"/> (receipts.md §4.4 creation rules).</summary>
    public DelegationToken Delegate(VerificationKey delegateKey, string delegateName, DelegationScope scope)
    {
        ArgumentNullException.ThrowIfNull(delegateKey);
        ArgumentException.ThrowIfNullOrEmpty(delegateName);
        ArgumentNullException.ThrowIfNull(scope);
        var scopeProblem = DelegationRules.CheckScope(scope.Tools, scope.Targets, scope.Expires);
        if (scopeProblem is not null)
        {
            throw new ArgumentException($"Invalid delegation scope: {scopeProblem}.", nameof(scope));
        }

        var scopeObject = new JsonObject
        {
            ["tools"] = new JsonArray([.. scope.Tools.Select(t => (JsonNode?)JsonValue.Create(t))]),
            ["targets"] = new JsonArray([.. scope.Targets.Select(t => (JsonNode?)JsonValue.Create(t))]),
            ["max_depth"] = scope.MaxDepth,
        };
        if (scope.Expires is not null)
        {
            scopeObject["expires"] = scope.Expires;
        }

        var body = new JsonObject
        {
            ["delegator"] = new JsonObject { ["pubkey"] = PublicKey, ["name"] = Name },
            ["delegate"] = new JsonObject { ["pubkey"] = ReceiptEncoding.FormatPublicKey(delegateKey), ["name"] = delegateName },
            ["scope"] = scopeObject,
            ["issued_at"] = ReceiptEncoding.FormatTimestamp(_time.GetUtcNow()),
            ["nonce"] = NonceSource(),
        };
        var signature = _key.Sign(ReceiptSignables.Token(body, CanonicalJsonOptions.Signet));
        return new DelegationToken(Assemble(1, ReceiptEncoding.ComputeId("del_", signature), body, signature));
    }

    private Receipt Finish(int version, JsonObject body, Func<JsonObject, CanonicalJsonOptions, byte[]> signable)
    {
        var signature = _key.Sign(signable(body, CanonicalJsonOptions.Signet));
        return new Receipt(Assemble(version, ReceiptEncoding.ComputeId("rec_", signature), body, signature), version);
    }

    private static JsonObject Assemble(int version, string id, JsonObject body, byte[] signature)
    {
        var result = new JsonObject { ["v"] = version, ["id"] = id };
        foreach (var (name, value) in body)
        {
            result[name] = value?.DeepClone();
        }

        result["sig"] = ReceiptEncoding.FormatSignature(signature);
        return result;
    }

    private JsonObject SignerObject(string owner) => new() { ["pubkey"] = PublicKey, ["name"] = Name, ["owner"] = owner };

    private static JsonObject BuildAction(ReceiptAction action)
    {
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(action.Tool);
        ArgumentNullException.ThrowIfNull(action.Target);
        string paramsHash;
        if (action.Params is null && !string.IsNullOrEmpty(action.ParamsHash))
        {
            if (!ReceiptEncoding.IsHashTag(action.ParamsHash))
            {
                throw new ArgumentException("params_hash must be sha256: followed by 64 lowercase hex digits.", nameof(action));
            }

            paramsHash = action.ParamsHash;
        }
        else
        {
            paramsHash = ReceiptEncoding.ContentHash(action.Params);
        }

        var result = new JsonObject
        {
            ["tool"] = action.Tool,
            ["params"] = action.Params?.DeepClone(),
            ["params_hash"] = paramsHash,
            ["target"] = action.Target,
            ["transport"] = action.Transport,
        };
        Optional(result, "session", action.Session);
        Optional(result, "call_id", action.CallId);
        Optional(result, "response_hash", action.ResponseHash);
        Optional(result, "trace_id", action.TraceId);
        Optional(result, "parent_receipt_id", action.ParentReceiptId);
        return result;
    }

    private static void Optional(JsonObject obj, string name, string? value)
    {
        if (value is not null)
        {
            obj[name] = value;
        }
    }
}
