using System.Buffers;
using System.Text.Json.Nodes;
using AgentTrust.Json;
using AgentTrust.Json.Canonical;

namespace AgentTrust.Receipts;

/// <summary>
/// The signed preimages (receipts.md §4.5): ONE function per signable, called by the signer (Signet profile) and by
/// the verifier (strict profile). Each writes the JCS of the signable object directly: known members only, optional
/// ones only when present, member names in RFC 8785 order (all are ASCII, so ordinal order is UTF-16 order), every
/// value canonicalised by the JCS writer. Nothing is cloned.
/// </summary>
internal static class ReceiptSignables
{
    // Every list below is sorted (ordinal), as JCS writes members.
    private static readonly string[] ActionMembers = ["call_id", "params", "params_hash", "parent_receipt_id", "response_hash", "session", "target", "tool", "trace_id", "transport"];
    private static readonly string[] SignerMembers = ["name", "owner", "pubkey"];
    private static readonly string[] PartyMembers = ["name", "pubkey"];
    private static readonly string[] PolicyMembers = ["decision", "matched_rules", "policy_hash", "policy_name", "reason"];
    private static readonly string[] OutcomeMembers = ["error", "reason", "status"];
    private static readonly string[] ScopeMembers = ["expires", "max_depth", "targets", "tools"];

    /// <summary>v1: <c>{v:1,action,signer,ts,nonce[,policy][,exp]}</c>.</summary>
    public static byte[] V1(JsonObject receipt, CanonicalJsonOptions options)
    {
        using var w = new Writer(options);
        w.Open();
        w.Member("action").Picked(receipt["action"], ActionMembers);
        w.Optional(receipt, "exp");
        w.Member("nonce").Value(receipt["nonce"]);
        if (receipt.ContainsKey("policy"))
        {
            w.Member("policy").Picked(receipt["policy"], PolicyMembers);
        }

        w.Member("signer").Picked(receipt["signer"], SignerMembers);
        w.Member("ts").Value(receipt["ts"]);
        w.Member("v").Raw("1"u8);
        return w.Close();
    }

    /// <summary>v2: <c>{v:2,action,response,signer,ts_request,ts_response,nonce}</c>.</summary>
    public static byte[] V2(JsonObject receipt, CanonicalJsonOptions options)
    {
        using var w = new Writer(options);
        w.Open();
        w.Member("action").Picked(receipt["action"], ActionMembers);
        w.Member("nonce").Value(receipt["nonce"]);
        w.Member("response").Response(receipt["response"]);
        w.Member("signer").Picked(receipt["signer"], SignerMembers);
        w.Member("ts_request").Value(receipt["ts_request"]);
        w.Member("ts_response").Value(receipt["ts_response"]);
        w.Member("v").Raw("2"u8);
        return w.Close();
    }

    /// <summary>v3 (server key): <c>{v:3,agent_receipt (complete v1 incl. id and sig),response,server,ts_response,nonce}</c>.</summary>
    public static byte[] V3(JsonObject receipt, CanonicalJsonOptions options)
    {
        using var w = new Writer(options);
        w.Open();
        w.Member("agent_receipt");
        var agent = receipt["agent_receipt"] as JsonObject;
        w.Open();
        w.Member("action").Picked(agent?["action"], ActionMembers);
        w.Optional(agent, "exp");
        w.Optional(agent, "id");
        w.Optional(agent, "nonce");
        if (agent?.ContainsKey("policy") == true)
        {
            w.Member("policy").Picked(agent["policy"], PolicyMembers);
        }

        w.Optional(agent, "sig");
        w.Member("signer").Picked(agent?["signer"], SignerMembers);
        w.Optional(agent, "ts");
        w.Optional(agent, "v");
        w.CloseNested();
        w.Member("nonce").Value(receipt["nonce"]);
        w.Member("response").Response(receipt["response"]);
        w.Member("server").Picked(receipt["server"], PartyMembers);
        w.Member("ts_response").Value(receipt["ts_response"]);
        w.Member("v").Raw("3"u8);
        return w.Close();
    }

    /// <summary>v4 (final delegate): <c>{v:4,action,signer,authorization:{chain_hash,root_pubkey},ts,nonce}</c>; the chain is not signed.</summary>
    public static byte[] V4(JsonObject receipt, CanonicalJsonOptions options)
    {
        using var w = new Writer(options);
        w.Open();
        w.Member("action").Picked(receipt["action"], ActionMembers);
        w.Member("authorization").Picked(receipt["authorization"], ["chain_hash", "root_pubkey"]);
        w.Member("nonce").Value(receipt["nonce"]);
        w.Member("signer").Picked(receipt["signer"], SignerMembers);
        w.Member("ts").Value(receipt["ts"]);
        w.Member("v").Raw("4"u8);
        return w.Close();
    }

    /// <summary>Delegation token (delegator): <c>{v:1,delegator,delegate,scope:{tools,targets,max_depth[,expires]},issued_at,nonce}</c>.</summary>
    public static byte[] Token(JsonObject token, CanonicalJsonOptions options)
    {
        using var w = new Writer(options);
        w.Open();
        w.Member("delegate").Picked(token["delegate"], PartyMembers);
        w.Member("delegator").Picked(token["delegator"], PartyMembers);
        w.Member("issued_at").Value(token["issued_at"]);
        w.Member("nonce").Value(token["nonce"]);
        w.Member("scope").Picked(token["scope"], ScopeMembers);
        w.Member("v").Raw("1"u8);
        return w.Close();
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

    /// <summary>Streams one canonical object: the caller writes members in sorted order.</summary>
    private sealed class Writer(CanonicalJsonOptions options) : IDisposable
    {
        private readonly PooledBufferWriter _buffer = new(1024);
        private readonly Stack<bool> _first = new();

        public void Open()
        {
            _buffer.Write("{"u8);
            _first.Push(true);
        }

        public Writer Member(string name)
        {
            if (!_first.Pop())
            {
                _buffer.Write(","u8);
            }

            _first.Push(false);
            var span = _buffer.GetSpan(name.Length + 3);
            span[0] = (byte)'"';
            for (var i = 0; i < name.Length; i++)
            {
                span[i + 1] = (byte)name[i];
            }

            span[name.Length + 1] = (byte)'"';
            span[name.Length + 2] = (byte)':';
            _buffer.Advance(name.Length + 3);
            return this;
        }

        public void Value(JsonNode? node) => JcsNodeWriter.Write(_buffer, node, options);

        public void Raw(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

        public void Optional(JsonObject? source, string name)
        {
            if (source is not null && source.TryGetPropertyValue(name, out var value))
            {
                Member(name).Value(value);
            }
        }

        public void Picked(JsonNode? node, string[] sortedMembers)
        {
            if (node is not JsonObject source)
            {
                Value(node);
                return;
            }

            Open();
            foreach (var name in sortedMembers)
            {
                Optional(source, name);
            }

            CloseNested();
        }

        public void Response(JsonNode? node)
        {
            if (node is not JsonObject response)
            {
                Value(node);
                return;
            }

            Open();
            Optional(response, "content_hash");
            if (response.TryGetPropertyValue("outcome", out var outcome))
            {
                Member("outcome").Picked(outcome, OutcomeMembers);
            }

            CloseNested();
        }

        public void CloseNested()
        {
            _buffer.Write("}"u8);
            _first.Pop();
        }

        public byte[] Close()
        {
            CloseNested();
            return _buffer.ToArray();
        }

        public void Dispose() => _buffer.Dispose();
    }
}
