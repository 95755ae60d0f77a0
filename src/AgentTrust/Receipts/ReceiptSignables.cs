using System.Text.Json.Nodes;
using AgentTrust.Json;

namespace AgentTrust.Receipts;

/// <summary>
/// The signed preimages (receipts.md §4.5): ONE function per signable, called by the signer (Signet profile) and by
/// the verifier (strict profile). Each rebuilds the object from known members only, optional ones only when present.
/// </summary>
internal static class ReceiptSignables
{
    private static readonly string[] ActionMembers = ["tool", "params", "params_hash", "target", "transport", "session", "call_id", "response_hash", "trace_id", "parent_receipt_id"];
    private static readonly string[] SignerMembers = ["pubkey", "name", "owner"];
    private static readonly string[] PartyMembers = ["pubkey", "name"];
    private static readonly string[] PolicyMembers = ["policy_hash", "policy_name", "matched_rules", "decision", "reason"];
    private static readonly string[] AgentReceiptMembers = ["v", "id", "action", "signer", "policy", "ts", "exp", "nonce", "sig"];

    /// <summary>v1: <c>{v:1,action,signer,ts,nonce[,policy][,exp]}</c>.</summary>
    public static byte[] V1(JsonObject receipt, CanonicalJsonOptions options)
    {
        var signable = new JsonObject
        {
            ["v"] = 1,
            ["action"] = Pick(receipt["action"], ActionMembers),
            ["signer"] = Pick(receipt["signer"], SignerMembers),
            ["ts"] = Clone(receipt["ts"]),
            ["nonce"] = Clone(receipt["nonce"]),
        };
        if (receipt.ContainsKey("policy"))
        {
            signable["policy"] = Pick(receipt["policy"], PolicyMembers);
        }

        if (receipt.ContainsKey("exp"))
        {
            signable["exp"] = Clone(receipt["exp"]);
        }

        return JsonCanonicalizer.Canonicalize(signable, options);
    }

    /// <summary>v2: <c>{v:2,action,response,signer,ts_request,ts_response,nonce}</c>.</summary>
    public static byte[] V2(JsonObject receipt, CanonicalJsonOptions options)
    {
        var signable = new JsonObject
        {
            ["v"] = 2,
            ["action"] = Pick(receipt["action"], ActionMembers),
            ["response"] = Response(receipt["response"]),
            ["signer"] = Pick(receipt["signer"], SignerMembers),
            ["ts_request"] = Clone(receipt["ts_request"]),
            ["ts_response"] = Clone(receipt["ts_response"]),
            ["nonce"] = Clone(receipt["nonce"]),
        };
        return JsonCanonicalizer.Canonicalize(signable, options);
    }

    /// <summary>v3 (server key): <c>{v:3,agent_receipt (complete v1 incl. id and sig),response,server,ts_response,nonce}</c>.</summary>
    public static byte[] V3(JsonObject receipt, CanonicalJsonOptions options)
    {
        var agent = (JsonObject)Pick(receipt["agent_receipt"], AgentReceiptMembers)!;
        agent["action"] = Pick(agent["action"], ActionMembers);
        agent["signer"] = Pick(agent["signer"], SignerMembers);
        if (agent.ContainsKey("policy"))
        {
            agent["policy"] = Pick(agent["policy"], PolicyMembers);
        }

        var signable = new JsonObject
        {
            ["v"] = 3,
            ["agent_receipt"] = agent,
            ["response"] = Response(receipt["response"]),
            ["server"] = Pick(receipt["server"], PartyMembers),
            ["ts_response"] = Clone(receipt["ts_response"]),
            ["nonce"] = Clone(receipt["nonce"]),
        };
        return JsonCanonicalizer.Canonicalize(signable, options);
    }

    /// <summary>v4 (final delegate): <c>{v:4,action,signer,authorization:{chain_hash,root_pubkey},ts,nonce}</c>; the chain is not signed.</summary>
    public static byte[] V4(JsonObject receipt, CanonicalJsonOptions options)
    {
        var authorization = receipt["authorization"] as JsonObject;
        var signable = new JsonObject
        {
            ["v"] = 4,
            ["action"] = Pick(receipt["action"], ActionMembers),
            ["signer"] = Pick(receipt["signer"], SignerMembers),
            ["authorization"] = new JsonObject
            {
                ["chain_hash"] = Clone(authorization?["chain_hash"]),
                ["root_pubkey"] = Clone(authorization?["root_pubkey"]),
            },
            ["ts"] = Clone(receipt["ts"]),
            ["nonce"] = Clone(receipt["nonce"]),
        };
        return JsonCanonicalizer.Canonicalize(signable, options);
    }

    /// <summary>Delegation token (delegator): <c>{v:1,delegator,delegate,scope:{tools,targets,max_depth[,expires]},issued_at,nonce}</c>.</summary>
    public static byte[] Token(JsonObject token, CanonicalJsonOptions options)
    {
        var signable = new JsonObject
        {
            ["v"] = 1,
            ["delegator"] = Pick(token["delegator"], PartyMembers),
            ["delegate"] = Pick(token["delegate"], PartyMembers),
            ["scope"] = Pick(token["scope"], ["tools", "targets", "max_depth", "expires"]),
            ["issued_at"] = Clone(token["issued_at"]),
            ["nonce"] = Clone(token["nonce"]),
        };
        return JsonCanonicalizer.Canonicalize(signable, options);
    }

    /// <summary>The signable of a receipt of version 1–4.</summary>
    public static byte[] ForVersion(int version, JsonObject receipt, CanonicalJsonOptions options) => version switch
    {
        1 => V1(receipt, options),
        2 => V2(receipt, options),
        3 => V3(receipt, options),
        4 => V4(receipt, options),
        _ => throw new ArgumentOutOfRangeException(nameof(version)),
    };

    /// <summary><c>chain_hash</c>: the hash of the JCS of the complete chain array (ids, signatures and unsigned members included).</summary>
    public static string ChainHash(JsonArray chain, CanonicalJsonOptions options)
        => ReceiptEncoding.HashTag(JsonCanonicalizer.Canonicalize(chain, options));

    private static JsonObject Response(JsonNode? node)
    {
        var response = (JsonObject)Pick(node, ["content_hash", "outcome"])!;
        if (response.ContainsKey("outcome"))
        {
            response["outcome"] = Pick(response["outcome"], ["status", "reason", "error"]);
        }

        return response;
    }

    private static JsonNode? Pick(JsonNode? node, string[] members)
    {
        if (node is not JsonObject source)
        {
            return Clone(node);
        }

        var result = new JsonObject();
        foreach (var name in members)
        {
            if (source.TryGetPropertyValue(name, out var value))
            {
                result[name] = Clone(value);
            }
        }

        return result;
    }

    private static JsonNode? Clone(JsonNode? node) => node?.DeepClone();
}
