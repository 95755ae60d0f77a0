using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentTrust.Receipts;

/// <summary>
/// The member sets of every signed object (receipts.md §3–§4): checks types and required members, and lists members
/// that no version defines (they are unsigned, so they are rejected in live mode and reported in compat mode).
/// </summary>
internal static class ReceiptShape
{
    private static readonly string[] ActionRequired = ["tool", "params", "params_hash", "target", "transport"];
    private static readonly string[] ActionOptional = ["session", "call_id", "response_hash", "trace_id", "parent_receipt_id"];
    private static readonly string[] ActionMembers = [.. ActionRequired, .. ActionOptional];
    private static readonly string[] SignerMembers = ["pubkey", "name", "owner"];
    private static readonly string[] PartyMembers = ["pubkey", "name"];
    private static readonly string[] PolicyMembers = ["policy_hash", "policy_name", "matched_rules", "decision", "reason"];

    /// <summary>Checks a receipt of the given version; returns null when well-formed, else the reason.</summary>
    public static string? Check(JsonObject receipt, int version, List<string> unknown, string prefix = "")
    {
        switch (version)
        {
            case 1:
                return CheckTop(receipt, ["v", "id", "action", "signer", "ts", "nonce", "sig"], ["policy", "exp"], [], unknown, prefix)
                    ?? CheckAction(receipt["action"], unknown, prefix + "action.")
                    ?? CheckStrings(receipt["signer"], SignerMembers, [], unknown, prefix + "signer.")
                    ?? (receipt.ContainsKey("policy") ? CheckPolicy(receipt["policy"], unknown, prefix) : null)
                    ?? CheckTimestamp(receipt, "ts") ?? (receipt.ContainsKey("exp") ? CheckTimestamp(receipt, "exp") : null);
            case 2:
                return CheckTop(receipt, ["v", "id", "action", "response", "signer", "ts_request", "ts_response", "nonce", "sig"], [], [], unknown, prefix)
                    ?? CheckAction(receipt["action"], unknown, prefix + "action.")
                    ?? CheckResponse(receipt["response"], unknown, prefix)
                    ?? CheckStrings(receipt["signer"], SignerMembers, [], unknown, prefix + "signer.")
                    ?? CheckTimestamp(receipt, "ts_request") ?? CheckTimestamp(receipt, "ts_response");
            case 3:
                if (receipt["agent_receipt"] is not JsonObject agent)
                {
                    return "malformed";
                }

                if (!IsInteger(agent["v"], 1))
                {
                    return "agent_receipt_version";
                }

                return CheckTop(receipt, ["v", "id", "agent_receipt", "response", "server", "ts_response", "nonce", "sig"], [], ["extensions"], unknown, prefix)
                    ?? Check(agent, 1, unknown, prefix + "agent_receipt.")
                    ?? CheckResponse(receipt["response"], unknown, prefix)
                    ?? CheckStrings(receipt["server"], PartyMembers, [], unknown, prefix + "server.")
                    ?? CheckTimestamp(receipt, "ts_response");
            case 4:
                if (receipt["authorization"] is not JsonObject authorization)
                {
                    return "malformed";
                }

                var top = CheckTop(receipt, ["v", "id", "action", "signer", "authorization", "ts", "nonce", "sig"], [], [], unknown, prefix)
                    ?? CheckAction(receipt["action"], unknown, prefix + "action.")
                    ?? CheckStrings(receipt["signer"], SignerMembers, [], unknown, prefix + "signer.")
                    ?? CheckTimestamp(receipt, "ts");
                if (top is not null)
                {
                    return top;
                }

                if (authorization["chain"] is not JsonArray chain || !IsString(authorization["chain_hash"]) || !IsString(authorization["root_pubkey"]))
                {
                    return "malformed";
                }

                Unknown(authorization, ["chain", "chain_hash", "root_pubkey"], unknown, prefix + "authorization.");
                foreach (var token in chain)
                {
                    if (token is not JsonObject tokenObject)
                    {
                        return "malformed";
                    }

                    var tokenReason = CheckToken(tokenObject, unknown, prefix + "authorization.chain[].");
                    if (tokenReason is not null)
                    {
                        return tokenReason;
                    }
                }

                return null;
            default:
                return "unsupported_version";
        }
    }

    /// <summary>Checks a delegation token.</summary>
    public static string? CheckToken(JsonObject token, List<string> unknown, string prefix = "")
    {
        if (!IsInteger(token["v"], 1))
        {
            return "unsupported_version";
        }

        var reason = CheckTop(token, ["v", "id", "delegator", "delegate", "scope", "issued_at", "nonce", "sig"], [], ["correlation_id"], unknown, prefix)
            ?? CheckStrings(token["delegator"], PartyMembers, [], unknown, prefix + "delegator.")
            ?? CheckStrings(token["delegate"], PartyMembers, [], unknown, prefix + "delegate.")
            ?? CheckTimestamp(token, "issued_at");
        if (reason is not null)
        {
            return reason;
        }

        if (token.ContainsKey("correlation_id") && !IsString(token["correlation_id"]))
        {
            return "malformed";
        }

        if (token["scope"] is not JsonObject scope || !IsStringArray(scope["tools"]) || !IsStringArray(scope["targets"])
            || !TryGetUInt32(scope["max_depth"], out _) || (scope.ContainsKey("expires") && CheckTimestamp(scope, "expires") is not null))
        {
            return "malformed";
        }

        Unknown(scope, ["tools", "targets", "max_depth", "expires", "budget"], unknown, prefix + "scope.");
        return null;
    }

    internal static bool TryGetUInt32(JsonNode? node, out uint value)
    {
        value = 0;
        return node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out value);
    }

    internal static bool IsInteger(JsonNode? node, int expected)
    {
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.Number)
        {
            return false;
        }

        // Parsed values keep their literal: "1.0" or "1e0" is not the integer 1 of the format.
        if (value.TryGetValue(out JsonElement element))
        {
            return element.TryGetInt32(out var parsed) && parsed == expected && element.GetRawText().Length == CountDigits(expected);
        }

        return value.TryGetValue(out int n) && n == expected;
    }

    private static int CountDigits(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;

    internal static bool IsString(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String;

    internal static string? GetString(JsonObject obj, string name) => obj[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static bool IsStringArray(JsonNode? node) => node is JsonArray array && array.All(IsString);

    private static string? CheckTop(JsonObject obj, string[] required, string[] optional, string[] unsigned, List<string> unknown, string prefix)
    {
        foreach (var name in required)
        {
            if (!obj.ContainsKey(name))
            {
                return "malformed";
            }
        }

        foreach (var name in optional.Length == 0 ? required : (string[])[.. required, .. optional])
        {
            if (!obj.TryGetPropertyValue(name, out var node))
            {
                continue;
            }

            var ok = name switch
            {
                "v" => node is JsonValue,
                "action" or "signer" or "policy" or "response" or "server" or "agent_receipt" or "authorization" or "delegator" or "delegate" or "scope" => node is JsonObject,
                _ => IsString(node),
            };
            if (!ok)
            {
                return "malformed";
            }
        }

        foreach (var property in obj)
        {
            if (Array.IndexOf(required, property.Key) < 0 && Array.IndexOf(optional, property.Key) < 0 && Array.IndexOf(unsigned, property.Key) < 0)
            {
                unknown.Add(prefix + property.Key);
            }
        }

        return null;
    }

    private static string? CheckAction(JsonNode? node, List<string> unknown, string prefix)
    {
        if (node is not JsonObject action)
        {
            return "malformed";
        }

        foreach (var name in ActionRequired)
        {
            if (!action.ContainsKey(name) || (name != "params" && !IsString(action[name])))
            {
                return "malformed";
            }
        }

        foreach (var name in ActionOptional)
        {
            if (action.ContainsKey(name) && !IsString(action[name]))
            {
                return "malformed";
            }
        }

        Unknown(action, ActionMembers, unknown, prefix);
        var hash = GetString(action, "params_hash");
        return hash is "" || ReceiptEncoding.IsHashTag(hash) ? null : "malformed";
    }

    private static string? CheckResponse(JsonNode? node, List<string> unknown, string prefix)
    {
        if (node is not JsonObject response || !ReceiptEncoding.IsHashTag(GetString(response, "content_hash")))
        {
            return "malformed";
        }

        Unknown(response, ["content_hash", "outcome"], unknown, prefix + "response.");
        if (!response.ContainsKey("outcome"))
        {
            return null;
        }

        if (response["outcome"] is not JsonObject outcome || GetString(outcome, "status") is not { } status || !ResponseOutcome.IsKnownStatus(status)
            || (outcome.ContainsKey("reason") && !IsString(outcome["reason"])) || (outcome.ContainsKey("error") && !IsString(outcome["error"])))
        {
            return "malformed";
        }

        Unknown(outcome, ["status", "reason", "error"], unknown, prefix + "response.outcome.");
        return null;
    }

    private static string? CheckPolicy(JsonNode? node, List<string> unknown, string prefix)
    {
        if (node is not JsonObject policy || !IsStringArray(policy["matched_rules"]))
        {
            return "malformed";
        }

        foreach (var name in PolicyMembers)
        {
            if (name != "matched_rules" && !IsString(policy[name]))
            {
                return "malformed";
            }
        }

        Unknown(policy, PolicyMembers, unknown, prefix + "policy.");
        return GetString(policy, "decision") is "allow" or "deny" or "require_approval" ? null : "malformed";
    }

    private static string? CheckStrings(JsonNode? node, string[] required, string[] optional, List<string> unknown, string prefix)
    {
        if (node is not JsonObject obj)
        {
            return "malformed";
        }

        foreach (var name in required)
        {
            if (!IsString(obj[name]))
            {
                return "malformed";
            }
        }

        foreach (var property in obj)
        {
            if (Array.IndexOf(required, property.Key) < 0 && Array.IndexOf(optional, property.Key) < 0)
            {
                unknown.Add(prefix + property.Key);
            }
        }

        return null;
    }

    private static string? CheckTimestamp(JsonObject obj, string name)
        => ReceiptEncoding.TryParseTimestamp(GetString(obj, name), out _) ? null : "malformed_timestamp";

    private static void Unknown(JsonObject obj, string[] known, List<string> unknown, string prefix)
    {
        foreach (var property in obj)
        {
            if (Array.IndexOf(known, property.Key) < 0)
            {
                unknown.Add(prefix + property.Key);
            }
        }
    }
}
