using AgentTrust.Attestation;
using AgentTrust.Audit;
using AgentTrust.Gateway.Configuration;
using AgentTrust.Gateway.Evidence;
using AgentTrust.Gateway.Identity;
using AgentTrust.Gateway.Pinning;
using AgentTrust.Gateway.Pipeline;
using AgentTrust.Gateway.Signing;
using AgentTrust.Gateway.Verification;
using AgentTrust.Mcps.Envelopes;
using AgentTrust.Mcps.Passports;
using AgentTrust.Mcps.Replay;
using AgentTrust.Mcps.Tools;
using AgentTrust.Receipts;
using AgentTrust.Replay;

namespace AgentTrust.Gateway;

/// <summary>
/// Builds the stage lists of both gateway roles from <see cref="GatewayOptions"/> and the already-loaded identity,
/// trust store and audit log. Lists run from the client side to the server side (see <see cref="RelayPipeline"/>).
/// </summary>
public static class GatewayPipelineFactory
{
    /// <summary>
    /// The server-side gateway (<c>proxy</c>): [countersign, verify, attestation, receipts, pins]. Client messages are
    /// MCPS-verified first, then their attestation token, then their receipts, then tool pins; server messages are pinned, receipted, then countersigned last.
    /// </summary>
    /// <param name="options">The configuration.</param>
    /// <param name="serverIdentity">The server identity for pins and receipts (command line or upstream URL).</param>
    /// <param name="identity">The gateway's own identity (countersigning, receipts), or null.</param>
    /// <param name="trust">Anchors, passport lookup and revocation status (local trust store and/or Trust Authority), or null.</param>
    /// <param name="audit">The audit log, or null.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="attestation">The attestation verifier built from <see cref="GatewayOptions.Attestation"/>; required when issuers are configured.</param>
    /// <param name="replayStore">
    /// The store of accepted nonces, shared by every pipeline of the gateway (and, for SQLite or PostgreSQL, by every
    /// gateway process). Null gives this pipeline a store of its own, which only detects replays on the same connection.
    /// </param>
    public static IReadOnlyList<IRelayStage> CreateServerSide(GatewayOptions options, string serverIdentity, GatewayIdentity? identity,
        TrustSources? trust, AuditLog? audit, TimeProvider? timeProvider = null, AttestationVerifier? attestation = null, IReplayStore? replayStore = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (attestation is null && (options.Attestation.IsEnabled || options.Tools.Values.Any(t => t.RequireAttestation)))
        {
            // Never a silent pass: a configuration that asks for attestation without a verifier is an error.
            throw new ArgumentException("attestation is configured but no attestation verifier was given", nameof(attestation));
        }

        var time = timeProvider ?? TimeProvider.System;
        var stages = new List<IRelayStage>();
        if (identity is not null)
        {
            stages.Add(new CountersignStage(identity, time));
        }

        if (options.RequiresVerification)
        {
            var verifierOptions = McpsVerifierOptions.Default with { StatusPolicy = ToStatusPolicy(options.FailurePolicy) };
            var verifier = new McpsMessageVerifier(verifierOptions, time, trust?.Anchors, NonceStore(replayStore, time), trust?.Resolver, trust?.Status);
            stages.Add(new McpsVerificationStage(verifier, options));
        }

        if (attestation is not null)
        {
            stages.Add(new AttestationStage(attestation, options));
        }

        if (audit is not null)
        {
            if (identity is null)
            {
                throw new ArgumentException("receipts need the gateway's identity (--key, --passport)", nameof(identity));
            }

            stages.Add(new ToolCallReceiptStage(new ReceiptSigner(identity.ReceiptKey, identity.Name, "", time), audit, serverIdentity, time));
        }

        AddPins(stages, PinStore(options, time), options, serverIdentity, trust, time);
        return stages;
    }

    /// <summary>
    /// The agent side (<c>agent-proxy</c>): [pins, verify countersignatures, sign]. Client calls are checked against pins,
    /// then signed last; server messages are verified first (signed by the pinned server passport:
    /// <see cref="GatewayOptions.ServerPassport"/>, or the first one seen, kept with the tool pins), then pinned.
    /// </summary>
    /// <param name="options">The configuration.</param>
    /// <param name="serverIdentity">The server identity for pins and receipts.</param>
    /// <param name="identity">The agent's identity (required: it signs).</param>
    /// <param name="trust">Anchors the server gateway's passport may chain to, or null (self-issued accepted at level 0).</param>
    /// <param name="audit">The agent's audit log, or null.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="replayStore">The store of accepted nonces of the server's messages (see <see cref="CreateServerSide"/>).</param>
    public static IReadOnlyList<IRelayStage> CreateAgentSide(GatewayOptions options, string serverIdentity, GatewayIdentity identity,
        TrustSources? trust, AuditLog? audit, TimeProvider? timeProvider = null, IReplayStore? replayStore = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(identity);
        var time = timeProvider ?? TimeProvider.System;
        var stages = new List<IRelayStage>();
        var pins = PinStore(options, time);
        AddPins(stages, pins, options, serverIdentity, trust, time);
        var verifierOptions = McpsVerifierOptions.Default with { StatusPolicy = trust is null ? StatusPolicy.None : ToStatusPolicy(options.FailurePolicy) };
        var verifier = new McpsMessageVerifier(verifierOptions, time, trust?.Anchors, NonceStore(replayStore, time), trust?.Resolver, trust?.Status);
        stages.Add(new CountersignatureVerificationStage(verifier, audit) { ServerPassport = new ServerPassportPin(pins, serverIdentity, options.ServerPassport, time) });
        stages.Add(new AgentSigningStage(identity, audit, serverIdentity, null, time));
        return stages;
    }

    private static IToolPinStore PinStore(GatewayOptions options, TimeProvider time) =>
        options.Pins is null ? new InMemoryToolPinStore() : new FileToolPinStore(options.Pins, time);

    private static void AddPins(List<IRelayStage> stages, IToolPinStore store, GatewayOptions options, string serverIdentity, TrustSources? trust, TimeProvider time)
    {
        if (!options.DisablePins)
        {
            stages.Add(new ToolPinStage(store, serverIdentity, options.StrictPins ? PinMode.Strict : PinMode.Tofu, options.Pins, time, trust, ToStatusPolicy(options.FailurePolicy)));
        }
    }

    private static INonceStore NonceStore(IReplayStore? shared, TimeProvider time) =>
        shared is null ? new InMemoryNonceStore(time: time) : new ReplayStoreNonceStore(shared);

    // Open still asks: a reachable authority's revocation and level apply; only an unanswered status passes (capped at 1).
    private static StatusPolicy ToStatusPolicy(FailurePolicy policy) => policy switch
    {
        FailurePolicy.Cached => StatusPolicy.Cached,
        FailurePolicy.Open => StatusPolicy.BestEffort,
        _ => StatusPolicy.Required,
    };
}
