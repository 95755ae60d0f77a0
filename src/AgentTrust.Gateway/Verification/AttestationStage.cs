using System.Text.Json.Nodes;
using AgentTrust.Attestation;
using AgentTrust.Gateway.Configuration;
using AgentTrust.Gateway.Messages;
using AgentTrust.Gateway.Pipeline;
using AgentTrust.Mcps.Envelopes;

namespace AgentTrust.Gateway.Verification;

/// <summary>
/// The gateway's attestation-token check (attestation.md §3, §4, §6), after MCPS verification, on every client message.
/// <list type="bullet">
/// <item>Handshake generation: the token rides in <c>initialize</c>; its verdict holds for the session (the stdio
/// connection or the <c>Mcp-Session-Id</c>) and belongs to the MCPS signer that presented it (passport id and key
/// thumbprint): a message of that session signed by anyone else has no attestation. The session holds the verdict
/// once the server answered the <c>initialize</c> with a result; an attested session cannot be initialized again.</item>
/// <item>2026-07-28: a token in a request's or notification's <c>params._meta["io.modelcontextprotocol/clientCapabilities"]</c>
/// is verified for that message (the verifier applies the first-presenter rule of §3.3).</item>
/// <item>A present token that fails is refused in every mode. Under <c>required</c> nothing else passes without a
/// verdict of its presenter (requests, <c>ping</c>, notifications, answers to server requests alike) except
/// <c>initialize</c>, which must carry the token, and <c>server/discover</c>, which is how a client learns the
/// requirement. Under <c>preferred</c>/<c>optional</c> a message without a token proceeds at level none.</item>
/// <item>A <c>tools/call</c> of a tool with <c>requireAttestation</c> needs a verified verdict (from one of the tool's
/// issuers when it lists them).</item>
/// </list>
/// Refused messages never reach the server. The verdict that applies to a message is left in
/// <see cref="RelayExchange.Items"/> under <see cref="VerdictKey"/>. Towards the client the stage advertises the
/// requirements (version, policy, trusted issuers, required claims) with the verdict (level none when unattested) in the
/// <c>initialize</c> result and the requirements in the <c>server/discover</c> result, under
/// <c>capabilities.experimental["security.attestation"]</c>, and echoes a per-request verdict in
/// <c>result._meta["io.agenttrust/attestation"]</c>, all before countersigning.
/// </summary>
public sealed class AttestationStage : IRelayStage
{
    /// <summary>The key of the <see cref="AttestationVerdict"/> that applies to a client message in <see cref="RelayExchange.Items"/>.</summary>
    public const string VerdictKey = "agenttrust.attestation.verdict";

    private const string SessionKey = "agenttrust.attestation.session";
    private const string PerRequestKey = "agenttrust.attestation.per-request";
    private const string PendingSessionKey = "agenttrust.attestation.pending-session";
    private const string Initialize = "initialize";
    private const string Discover = "server/discover";

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
        var presenter = Presenter.Of(exchange);
        var isRequest = message.Kind == MessageKind.Request;
        if (isRequest && message.Method == Initialize)
        {
            return await InitializeAsync(exchange, presenter, cancellationToken).ConfigureAwait(false);
        }

        AttestationVerdict? verdict = null;
        if (message.Kind is MessageKind.Request or MessageKind.Notification
            && AttestationPlacement.TryGetRequestToken(message.Json["params"] as JsonObject, out var token))
        {
            verdict = await _verifier.VerifyAsync(token, presenter.Presentation(stateless: true), cancellationToken).ConfigureAwait(false);
            if (!verdict.Verified)
            {
                return Refuse(verdict.Reason);
            }

            exchange.Items[PerRequestKey] = true;
        }
        else if (exchange.Session.TryGetValue(SessionKey, out var held) && held is SessionVerdict session && session.Presenter == presenter)
        {
            verdict = session.Verdict;
        }
        else if (Mode == AttestationPolicyMode.Required && !(isRequest && message.Method == Discover))
        {
            return Refuse(AttestationReason.Missing);
        }

        if (verdict is not null)
        {
            exchange.Items[VerdictKey] = verdict;
        }

        return CheckToolRule(message.ToolName, verdict);
    }

    /// <summary>
    /// Towards the client: the requirements and verdict in the <c>initialize</c> result, the requirements in the
    /// <c>server/discover</c> result, a per-request verdict in <c>result._meta</c>. Later stages (countersigning) see
    /// the changed result.
    /// </summary>
    public ValueTask<StageResult> OnServerMessageAsync(RelayExchange exchange, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        if (exchange.Message.Kind != MessageKind.Response || exchange.Request is not { } request || exchange.Message.Json["result"] is not JsonObject result)
        {
            return ValueTask.FromResult(StageResult.Continue);
        }

        var verdict = request.Items.TryGetValue(VerdictKey, out var value) ? value as AttestationVerdict : null;
        var method = request.Message.Method;
        if (method is Initialize or Discover)
        {
            var advertised = AttestationPlacement.CreateServerRequirements(Mode, _issuers, _verifier.Options.RequiredClaims);
            if (method == Initialize)
            {
                if (request.Items.TryGetValue(PendingSessionKey, out var pending) && pending is SessionVerdict attested)
                {
                    exchange.Session.TryAdd(SessionKey, attested);
                }

                if (verdict is { Verified: true })
                {
                    foreach (var (name, node) in AttestationPlacement.CreateVerdictCapability(verdict))
                    {
                        advertised[name] = node?.DeepClone();
                    }
                }
                else
                {
                    // Proceeding unattested (attestation.md §6): level none, and no verification_status, which
                    // reference clients would read as a failed verification.
                    advertised["trust_level"] = AttestationTrustLevel.None.ToWireName();
                }
            }

            Child(Child(result, "capabilities"), "experimental")[AttestationNames.CapabilityKey] = advertised;
            exchange.Message.MarkModified();
        }

        if (verdict is { Verified: true } && request.Items.ContainsKey(PerRequestKey))
        {
            Child(result, "_meta")[AttestationPlacement.ResultMetaKey] = AttestationPlacement.CreateResultMeta(verdict);
            exchange.Message.MarkModified();
        }

        return ValueTask.FromResult(StageResult.Continue);
    }

    private async ValueTask<StageResult> InitializeAsync(RelayExchange exchange, Presenter presenter, CancellationToken cancellationToken)
    {
        if (exchange.Session.ContainsKey(SessionKey))
        {
            // An attested session keeps its verdict: a second initialize (for example by someone who learned the
            // Mcp-Session-Id) can neither replace nor clear it.
            return StageResult.Reject(GatewayRejection.InvalidRequest("already_initialized"));
        }

        _ = AttestationPlacement.TryGetInitializeToken(exchange.Message.Json["params"] as JsonObject, out var token);
        var verdict = await _verifier.VerifyAsync(token, presenter.Presentation(stateless: false), cancellationToken).ConfigureAwait(false);
        if (!verdict.Verified)
        {
            // Missing proceeds at level none unless required; a present token that fails is refused in every mode.
            return verdict.Reason == AttestationReason.Missing && Mode != AttestationPolicyMode.Required
                ? StageResult.Continue
                : Refuse(verdict.Reason);
        }

        // The session holds the verdict once the server accepted the initialize (see OnServerMessageAsync), so an
        // initialize the server refused can be retried.
        exchange.Items[PendingSessionKey] = new SessionVerdict(verdict, presenter);
        exchange.Items[VerdictKey] = verdict;
        return StageResult.Continue;
    }

    private StageResult CheckToolRule(string? tool, AttestationVerdict? verdict)
    {
        if (tool is null || !_options.Tools.TryGetValue(tool, out var rule) || !rule.RequireAttestation)
        {
            return StageResult.Continue;
        }

        if (verdict is not { Verified: true })
        {
            return Refuse(AttestationReason.Missing, tool);
        }

        return rule.AttestationIssuers.Count > 0 && !rule.AttestationIssuers.Contains(verdict.Issuer!, StringComparer.Ordinal)
            ? Refuse(AttestationReason.UntrustedIssuer, tool)
            : StageResult.Continue;
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

    private StageResult Refuse(AttestationReason reason, string? tool = null) =>
        StageResult.Reject(GatewayRejection.Attestation(reason, Mode, _issuers, tool is null ? null : new JsonObject { ["tool"] = tool }));

    // The MCPS signer of a client message (verified passport id and signing key thumbprint); both null when the message
    // was not MCPS-verified (no verification configured), so unsigned sessions stay bearer sessions.
    private readonly record struct Presenter(string? PassportId, string? Thumbprint)
    {
        public static Presenter Of(RelayExchange exchange) =>
            exchange.Items.TryGetValue(McpsVerificationStage.ResultKey, out var value) && value is McpsVerificationResult { IsValid: true } mcps
                ? new Presenter(mcps.PassportId, mcps.SignerThumbprint)
                : default;

        public AttestationPresentation Presentation(bool stateless) =>
            new() { Stateless = stateless, PresenterId = PassportId, SignerThumbprint = Thumbprint };
    }

    private sealed record SessionVerdict(AttestationVerdict Verdict, Presenter Presenter);
}
