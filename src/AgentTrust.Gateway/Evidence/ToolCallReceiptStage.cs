using System.Text.Json.Nodes;
using AgentTrust.Audit;
using AgentTrust.Errors;
using AgentTrust.Gateway.Messages;
using AgentTrust.Gateway.Pipeline;
using AgentTrust.Receipts;
using AgentTrust.Replay;

namespace AgentTrust.Gateway.Evidence;

/// <summary>
/// Evidence for every tool call, on the server side of the gateway. A <c>tools/call</c> carrying the agent's v1
/// receipt (<c>params._meta._signet</c>) has it verified before the call may reach the server (MCPS-022 otherwise,
/// and it must name the tool being called); its answer is countersigned as a v3 bilateral receipt, attached as
/// <c>result._meta._signet_bilateral</c> (inside the gateway's signature) and appended to the audit log. A call
/// without an agent receipt gets a v2 compound receipt in the audit log. The record is written before the answer
/// leaves the gateway.
/// </summary>
public sealed class ToolCallReceiptStage : IRelayStage
{
    private const string RequestedAtKey = "agenttrust.receipt.requested_at";
    private const string AgentReceiptKey = "agenttrust.receipt.agent";

    private readonly ReceiptSigner _signer;
    private readonly AuditLog _audit;
    private readonly string _target;
    private readonly TimeProvider _time;
    private readonly InMemoryReplayStore _replay;

    /// <summary>Creates the stage.</summary>
    /// <param name="signer">The gateway's Ed25519 receipt signer.</param>
    /// <param name="audit">The audit log receipts are appended to.</param>
    /// <param name="target">The server the receipts name as target (its identity).</param>
    /// <param name="time">The clock.</param>
    public ToolCallReceiptStage(ReceiptSigner signer, AuditLog audit, string target, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(audit);
        _signer = signer;
        _audit = audit;
        _target = target;
        _time = time ?? TimeProvider.System;
        _replay = new InMemoryReplayStore(null, _time);
    }

    /// <inheritdoc />
    public async ValueTask<StageResult> OnClientMessageAsync(RelayExchange exchange, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        if (exchange.Message.Kind != MessageKind.Request || exchange.Message.ToolName is not { } tool)
        {
            return StageResult.Continue;
        }

        exchange.Items[RequestedAtKey] = _time.GetUtcNow();
        if (exchange.Message.Json["params"]?["_meta"]?["_signet"] is not JsonObject agentReceipt)
        {
            return StageResult.Continue;
        }

        // The receipt travels inside the MCPS-signed params, so the agent's passport vouches for the receipt key it
        // names: the key is pinned for this one verification (identity comes from the envelope, integrity from here).
        var bytes = System.Text.Encoding.UTF8.GetBytes(agentReceipt.ToJsonString());
        var anchors = new PinnedReceiptKeys();
        if (agentReceipt["signer"]?["pubkey"] is JsonValue key && key.TryGetValue<string>(out var publicKey) && publicKey.StartsWith("ed25519:", StringComparison.Ordinal))
        {
            try
            {
                anchors.Pin(publicKey, ReceiptKeyRole.Agent);
            }
            catch (ArgumentException)
            {
                // Not a valid key: the verifier reports it.
            }
        }

        var verdict = await new ReceiptVerifier(anchors, _replay, _time).VerifyAsync(bytes, new ReceiptVerificationOptions { ExpectedVersion = 1 }, cancellationToken).ConfigureAwait(false);
        var receipt = verdict.Valid ? Receipt.TryParse(bytes, out _) : null;
        if (receipt is null || agentReceipt["action"]?["tool"]?.GetValue<string>() != tool)
        {
            return StageResult.Reject(GatewayRejection.Mcps(McpsCode.ReceiptInvalid, verdict.Reason ?? "receipt_mismatch"));
        }

        exchange.Items[AgentReceiptKey] = receipt;
        return StageResult.Continue;
    }

    /// <inheritdoc />
    public ValueTask<StageResult> OnServerMessageAsync(RelayExchange exchange, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        var message = exchange.Message;
        if (message.Kind is not (MessageKind.Response or MessageKind.Error) || exchange.Request is not { } request
            || request.Message.ToolName is not { } tool)
        {
            return ValueTask.FromResult(StageResult.Continue);
        }

        var content = message.Kind == MessageKind.Response ? message.Json["result"] : message.Json["error"];
        var outcome = message.Kind == MessageKind.Error
            ? ResponseOutcome.Failed("jsonrpc_error")
            : content?["isError"] is JsonValue isError && isError.TryGetValue<bool>(out var failed) && failed ? ResponseOutcome.Failed("tool_error") : ResponseOutcome.Executed;

        Receipt receipt;
        if (request.Items.TryGetValue(AgentReceiptKey, out var value) && value is Receipt agentReceipt)
        {
            receipt = _signer.Countersign(agentReceipt, content, outcome);
            if (message.Kind == MessageKind.Response && content is JsonObject result)
            {
                if (result["_meta"] is not JsonObject meta)
                {
                    meta = [];
                    result["_meta"] = meta;
                }

                meta["_signet_bilateral"] = receipt.ToJsonObject();
                message.MarkModified();
            }
        }
        else
        {
            var arguments = request.Message.Json["params"]?["arguments"];
            var requestedAt = request.Items.TryGetValue(RequestedAtKey, out var at) && at is DateTimeOffset t ? t : _time.GetUtcNow();
            receipt = _signer.SignCompound(ReceiptAction.HashOnly(tool, arguments, _target), content, requestedAt);
        }

        // Durable before the answer leaves (the pipeline waits for it), while the stages after this one run.
        exchange.ForwardOnlyAfter(_audit.AppendAsync(receipt, cancellationToken).AsTask());
        return ValueTask.FromResult(StageResult.Continue);
    }
}
