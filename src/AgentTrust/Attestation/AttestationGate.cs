using System.Text.Json.Nodes;

namespace AgentTrust.Attestation;

/// <summary>
/// The server side of attestation for one JSON-RPC message, in either MCP generation: extracts the token from where
/// the generation carries it, verifies it, and says what to answer: proceed (with the verdict to expose to policy and
/// the capability/meta object to echo) or refuse (with the JSON-RPC error response, <c>id</c> kept).
/// </summary>
public sealed class AttestationGate
{
    private readonly AttestationVerifier _verifier;

    /// <summary>Creates a gate over <paramref name="verifier"/>.</summary>
    public AttestationGate(AttestationVerifier verifier)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        _verifier = verifier;
    }

    /// <summary>
    /// Evaluates an <c>initialize</c> request (2024-11-05 … 2025-11-25). On proceed, <see cref="AttestationGateDecision.Capability"/>
    /// goes into the result's <c>capabilities.experimental["security.attestation"]</c>.
    /// </summary>
    public async ValueTask<AttestationGateDecision> EvaluateInitializeAsync(JsonObject request, AttestationPresentation? presentation = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        _ = AttestationPlacement.TryGetInitializeToken(request["params"] as JsonObject, out var token);
        var verdict = await _verifier.VerifyAsync(token, presentation ?? AttestationPresentation.Initialize, cancellationToken).ConfigureAwait(false);
        return Decide(request, verdict, AttestationPlacement.CreateVerdictCapability(verdict));
    }

    /// <summary>
    /// Evaluates a request of the stateless revision (2026-07-28): the token rides in
    /// <c>params._meta["io.modelcontextprotocol/clientCapabilities"]</c>. On proceed, <see cref="AttestationGateDecision.Capability"/>
    /// is the <c>result._meta["io.agenttrust/attestation"]</c> echo.
    /// </summary>
    public async ValueTask<AttestationGateDecision> EvaluateRequestAsync(JsonObject request, AttestationPresentation? presentation = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        _ = AttestationPlacement.TryGetRequestToken(request["params"] as JsonObject, out var token);
        var stateless = (presentation ?? new AttestationPresentation()) with { Stateless = true };
        var verdict = await _verifier.VerifyAsync(token, stateless, cancellationToken).ConfigureAwait(false);
        return Decide(request, verdict, AttestationPlacement.CreateResultMeta(verdict));
    }

    private AttestationGateDecision Decide(JsonObject request, AttestationVerdict verdict, JsonObject capability)
    {
        if (verdict.ShouldProceed)
        {
            return new AttestationGateDecision(verdict, capability, null);
        }

        var issuers = _verifier.Options.Issuers.Select(i => i.Issuer);
        return new AttestationGateDecision(verdict, null, AttestationPlacement.CreateErrorResponse(request["id"], verdict, issuers));
    }
}

/// <summary>What a gate decided for one message.</summary>
/// <param name="Verdict">The verification verdict (expose it to policy: trust level, issuer, claims).</param>
/// <param name="Capability">On proceed: the object to echo (initialize capability or result <c>_meta</c>); null on refusal.</param>
/// <param name="ErrorResponse">On refusal: the JSON-RPC error response to send instead of processing the request.</param>
public sealed record AttestationGateDecision(AttestationVerdict Verdict, JsonObject? Capability, JsonObject? ErrorResponse)
{
    /// <summary>True when the request may be processed.</summary>
    public bool Proceed => ErrorResponse is null;
}
