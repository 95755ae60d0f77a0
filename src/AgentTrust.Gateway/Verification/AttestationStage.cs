using System.Text.Json.Nodes;
using AgentTrust.Attestation;
using AgentTrust.Gateway.Configuration;
using AgentTrust.Gateway.Messages;
using AgentTrust.Gateway.Pipeline;
using AgentTrust.Mcps.Envelopes;

namespace AgentTrust.Gateway.Verification;

/// <summary>
/// The gateway's attestation-token check (attestation.md §3, §4), after MCPS verification. On the handshake generation
/// the token rides in <c>initialize</c> and its verdict holds for the session; on 2026-07-28 it rides in each request's
/// <c>_meta</c>. A present token that fails is refused in every mode; an absent token is refused only under
/// <c>required</c>. A <c>tools/call</c> of a tool with <c>requireAttestation</c> needs a verified token (from one of the
/// tool's issuers when it lists them). Refused messages never reach the server. The verdict that applies to a request
/// is left in <see cref="RelayExchange.Items"/> under <see cref="VerdictKey"/>; a verified verdict is echoed in the result.
/// </summary>
public sealed class AttestationStage : IRelayStage
{
    /// <summary>The key of the applicable <see cref="AttestationVerdict"/> in <see cref="RelayExchange.Items"/> (and of the session verdict).</summary>
    public const string VerdictKey = "agenttrust.attestation.verdict";

    private const string PerRequestKey = "agenttrust.attestation.per-request";

    private readonly AttestationVerifier _verifier;
    private readonly GatewayOptions _options;
    private readonly string[] _issuers;

    /// <summary>Creates the stage.</summary>
    public AttestationStage(AttestationVerifier verifier, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        ArgumentNullException.ThrowIfNull(options);
        _verifier = verifier;
        _options = options;
        _issuers = [.. verifier.Options.Issuers.Select(i => i.Issuer)];
    }

    private AttestationPolicyMode Mode => _verifier.Options.Mode;

    /// <inheritdoc />
    public async ValueTask<StageResult> OnClientMessageAsync(RelayExchange exchange, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        var message = exchange.Message;
        if (message.Kind != MessageKind.Request)
        {
            return StageResult.Continue;
        }

        var requestParams = message.Json["params"] as JsonObject;
        var presentation = Presentation(exchange);
        AttestationVerdict? verdict;
        if (message.Method == "initialize")
        {
            exchange.Session.Remove(VerdictKey);
            if (!AttestationPlacement.TryGetInitializeToken(requestParams, out var token))
            {
                return Mode == AttestationPolicyMode.Required ? Refuse(AttestationReason.Missing) : StageResult.Continue;
            }

            verdict = await _verifier.VerifyAsync(token, presentation, cancellationToken).ConfigureAwait(false);
            if (!verdict.Verified)
            {
                return Refuse(verdict.Reason);
            }

            exchange.Session[VerdictKey] = verdict;
        }
        else if (AttestationPlacement.TryGetRequestToken(requestParams, out var token))
        {
            verdict = await _verifier.VerifyAsync(token, presentation with { Stateless = true }, cancellationToken).ConfigureAwait(false);
            if (!verdict.Verified)
            {
                return Refuse(verdict.Reason);
            }

            exchange.Items[PerRequestKey] = true;
        }
        else
        {
            verdict = exchange.Session.TryGetValue(VerdictKey, out var held) ? held as AttestationVerdict : null;
            if (verdict is null && Mode == AttestationPolicyMode.Required && message.Method != "ping")
            {
                return Refuse(AttestationReason.Missing);
            }
        }

        if (verdict is not null)
        {
            exchange.Items[VerdictKey] = verdict;
        }

        var tool = message.ToolName;
        if (tool is not null && _options.Tools.TryGetValue(tool, out var rule) && rule.RequireAttestation)
        {
            if (verdict is not { Verified: true })
            {
                return Refuse(AttestationReason.Missing, tool);
            }

            if (rule.AttestationIssuers.Count > 0 && !rule.AttestationIssuers.Contains(verdict.Issuer!, StringComparer.Ordinal))
            {
                return Refuse(AttestationReason.UntrustedIssuer, tool);
            }
        }

        return StageResult.Continue;
    }

    /// <summary>
    /// Echoes a verified verdict to the client (attestation.md §3.1, §3.2): in the <c>initialize</c> result's
    /// <c>capabilities.experimental["security.attestation"]</c>, or in <c>result._meta["io.agenttrust/attestation"]</c>
    /// for a request that carried its own token. Later stages (countersigning) see the changed result.
    /// </summary>
    public ValueTask<StageResult> OnServerMessageAsync(RelayExchange exchange, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        if (exchange.Message.Kind == MessageKind.Response && exchange.Request is { } request
            && request.Items.TryGetValue(VerdictKey, out var value) && value is AttestationVerdict { Verified: true } verdict
            && exchange.Message.Json["result"] is JsonObject result)
        {
            if (request.Items.ContainsKey(PerRequestKey))
            {
                Child(result, "_meta")[AttestationPlacement.ResultMetaKey] = AttestationPlacement.CreateResultMeta(verdict);
                exchange.Message.MarkModified();
            }
            else if (request.Message.Method == "initialize")
            {
                Child(Child(result, "capabilities"), "experimental")[AttestationNames.CapabilityKey] = AttestationPlacement.CreateVerdictCapability(verdict);
                exchange.Message.MarkModified();
            }
        }

        return ValueTask.FromResult(StageResult.Continue);
    }

    private static JsonObject Child(JsonObject parent, string name)
    {
        if (parent[name] is JsonObject existing)
        {
            return existing;
        }

        var created = new JsonObject();
        parent[name] = created;
        return created;
    }

    // The MCPS presenter of the carrying request (verified passport id and signing key) binds cnf tokens and the
    // §3.3 presenter rule; an unsigned request presents anonymously.
    private static AttestationPresentation Presentation(RelayExchange exchange) =>
        exchange.Items.TryGetValue(McpsVerificationStage.ResultKey, out var value) && value is McpsVerificationResult { IsValid: true } mcps
            ? new AttestationPresentation { PresenterId = mcps.PassportId, SignerThumbprint = mcps.SignerThumbprint }
            : new AttestationPresentation();

    private StageResult Refuse(AttestationReason reason, string? tool = null) =>
        StageResult.Reject(GatewayRejection.Attestation(reason, Mode, _issuers, tool is null ? null : new JsonObject { ["tool"] = tool }));
}
