using System.CommandLine;
using System.Text.Json.Nodes;
using AgentTrust.Errors;
using AgentTrust.Mcps.Envelopes;
using AgentTrust.Mcps.Passports;
using AgentTrust.Mcps.Replay;

namespace AgentTrust.Cli.Commands.Mcps;

/// <summary><c>agenttrust verify</c>: verify a signed message read from standard input.</summary>
internal static class VerifyCommand
{
    public static Command Create(CliContext context)
    {
        var pubkey = new Option<string?>("--pubkey") { Description = "Verify with this public key (PEM SPKI or JWK file): envelope and signature only." };
        var passport = new Option<string?>("--passport") { Description = "The signer's passport file: full verification (passport and chain, signature with the passport's key, trust level)." };
        var anchors = new Option<string[]>("--anchor") { Description = "Trust anchor NAME=PUBLIC_KEY_FILE for --passport (repeatable); without anchors only self-issued passports verify (level 0)." };
        var now = new Option<string?>("--now") { Description = "Verify at this instant (RFC 3339 UTC) instead of the clock." };
        var window = new Option<int?>("--window") { Description = "Maximum age of the timestamp in seconds (default 300)." };
        var futureSkew = new Option<int?>("--max-future-skew") { Description = "How far ahead a timestamp may be, in seconds (default 60; 300 with --compat)." };
        var highS = new Option<bool>("--allow-high-s") { Description = "Accept high-S ECDSA signatures (for signers such as cloud KMS that do not normalise)." };
        var compat = new Option<bool>("--compat") { Description = "The mcp-secure 1.x compatibility profile (high-S, ±300 s, no passport:issue requirement)." };
        var binding = new Option<string?>("--channel-binding") { Description = "This connection's channel binding." };
        var minLevel = new Option<int>("--min-level") { Description = "Minimum effective trust level (0-4) for --passport." };
        var origin = new Option<string?>("--expected-origin") { Description = "The origin the signer's passport must declare (--passport)." };
        var json = McpsCliSupport.JsonOption();
        var command = new Command("verify", "Verify an MCPS-signed JSON-RPC message from standard input. Exit 0 valid, 1 invalid (the MCPS code is in the JSON or on stderr).")
        {
            pubkey, passport, anchors, now, window, futureSkew, highS, compat, binding, minLevel, origin, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var pubkeyPath = parseResult.GetValue(pubkey);
            var passportPath = parseResult.GetValue(passport);
            if ((pubkeyPath is null) == (passportPath is null))
            {
                throw CliFailure.Usage("Give exactly one of --pubkey FILE or --passport FILE.");
            }

            var options = parseResult.GetValue(compat) ? McpsVerifierOptions.McpSecureCompat : McpsVerifierOptions.Default;
            if (parseResult.GetValue(window) is { } seconds)
            {
                options = options with { MaxAge = TimeSpan.FromSeconds(Positive(seconds, "--window")) };
            }

            if (parseResult.GetValue(futureSkew) is { } skew)
            {
                options = options with { MaxFutureSkew = TimeSpan.FromSeconds(Positive(skew, "--max-future-skew")) };
            }

            if (parseResult.GetValue(highS))
            {
                options = options with { AcceptHighS = true };
            }

            // Offline: no Trust Authority to ask for status, so levels are capped at 1 (mcps.md §7.5 StatusPolicy.None).
            options = options with { StatusPolicy = StatusPolicy.None };
            var time = parseResult.GetValue(now) is { } at ? new FixedTimeProvider(McpsCliSupport.ParseNow(at)) : context.Time;
            var verificationContext = new McpsVerificationContext
            {
                ChannelBinding = parseResult.GetValue(binding),
                MinimumTrustLevel = parseResult.GetValue(minLevel),
                ExpectedOrigin = parseResult.GetValue(origin),
            };
            var message = await McpsCliSupport.ReadStdinAsync(context, cancellationToken).ConfigureAwait(false);
            McpsVerificationResult result;
            if (pubkeyPath is not null)
            {
                var key = await McpsCliSupport.ReadPublicKeyAsync(context, pubkeyPath, cancellationToken).ConfigureAwait(false);
                result = new McpsMessageVerifier(options, time).VerifyWithKey(message, key, verificationContext);
            }
            else
            {
                var (signer, passportJson) = await McpsCliSupport.ReadPassportAsync(passportPath!, cancellationToken).ConfigureAwait(false);
                var store = await McpsCliSupport.ReadAnchorsAsync(context, parseResult.GetValue(anchors), cancellationToken).ConfigureAwait(false);
                var verifier = new McpsMessageVerifier(options, time, store, new InMemoryNonceStore(time: time), new SinglePassport(signer.PassportId, passportJson));
                result = await verifier.VerifyAsync(message, verificationContext, cancellationToken).ConfigureAwait(false);
            }

            if (parseResult.GetValue(json))
            {
                await McpsCliSupport.WriteJsonAsync(context, new JsonObject
                {
                    ["valid"] = result.IsValid,
                    ["mcps_code"] = result.Code?.ToCodeString(),
                    ["jsonrpc_code"] = result.JsonRpcCode,
                    ["reason"] = result.Reason,
                    ["passport_id"] = result.PassportId,
                    ["effective_trust_level"] = result.EffectiveTrustLevel,
                    ["placement"] = result.Placement switch { EnvelopePlacement.Meta => "meta", EnvelopePlacement.TopLevel => "top", _ => null },
                    ["message_hash"] = result.MessageHash,
                }).ConfigureAwait(false);
                return result.IsValid ? ExitCodes.Success : ExitCodes.Rejected;
            }

            if (!result.IsValid)
            {
                var code = result.Code ?? McpsCode.InvalidSignature;
                throw CliFailure.Rejected(code.ToCodeString(), $"{code.DefaultMessage()} ({result.Reason}).");
            }

            await context.Out.WriteLineAsync($"valid: signed by {result.PassportId} ({(result.Placement == EnvelopePlacement.Meta ? "_meta" : "top-level mcps")}), effective trust level {result.EffectiveTrustLevel}").ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static int Positive(int value, string option) =>
        value > 0 ? value : throw CliFailure.Usage($"{option} must be a positive number of seconds.");

    private sealed class SinglePassport(string passportId, byte[] json) : IPassportResolver
    {
        public ValueTask<ReadOnlyMemory<byte>?> ResolveAsync(string id, CancellationToken cancellationToken) =>
            ValueTask.FromResult<ReadOnlyMemory<byte>?>(id == passportId ? json : null);
    }
}
