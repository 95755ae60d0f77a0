using System.CommandLine;
using System.Text.Json.Nodes;
using AgentTrust.Errors;
using AgentTrust.Mcps;
using AgentTrust.Mcps.Envelopes;
using AgentTrust.Mcps.Passports;

namespace AgentTrust.Cli.Commands.Mcps;

/// <summary><c>agenttrust passport new|sign|verify|show</c>.</summary>
internal static class PassportCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("passport", "MCPS agent passports: create (self-issued), sign as an issuer, verify a chain, show.");
        command.Subcommands.Add(CreateNew(context));
        command.Subcommands.Add(CreateSign(context));
        command.Subcommands.Add(CreateVerify(context));
        command.Subcommands.Add(CreateShow(context));
        return command;
    }

    private static Command CreateNew(CliContext context)
    {
        var key = new Option<string>("--key") { Description = McpsCliSupport.KeyHelp, Required = true };
        var name = new Option<string>("--name") { Description = "Agent name (at most 256 characters).", Required = true };
        var version = new Option<string>("--agent-version") { Description = "Agent version.", DefaultValueFactory = _ => "1.0.0" };
        var capability = new Option<string[]>("--capability") { Description = "A capability (repeatable, at most 64).", AllowMultipleArgumentsPerToken = false };
        var origin = new Option<string?>("--origin") { Description = "The agent's origin, scheme://host[:port]." };
        var ttl = new Option<int>("--ttl-days") { Description = "Lifetime in days (default 30).", DefaultValueFactory = _ => 30 };
        var previous = new Option<string?>("--previous-key") { Description = "Public key file of the key this one replaces (records key_rotation)." };
        var output = new Option<string?>("--out") { Description = "Write the passport to this file instead of standard output." };
        var command = new Command("new", "Create a self-issued passport (issuer \"self\", level 0) signed by the agent's own key.")
        {
            key, name, version, capability, origin, ttl, previous, output,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var signingKey = await McpsCliSupport.OpenSigningKeyAsync(context, parseResult.GetValue(key)!, cancellationToken).ConfigureAwait(false);
            var previousPath = parseResult.GetValue(previous);
            var request = new PassportRequest
            {
                PublicKey = signingKey.PublicKey,
                AgentName = parseResult.GetValue(name)!,
                AgentVersion = parseResult.GetValue(version)!,
                Capabilities = parseResult.GetValue(capability) ?? [],
                Origin = parseResult.GetValue(origin),
                Lifetime = TimeSpan.FromDays(parseResult.GetValue(ttl)),
                PreviousKey = previousPath is null ? null : await McpsCliSupport.ReadPublicKeyAsync(context, previousPath, cancellationToken).ConfigureAwait(false),
            };
            AgentPassport passport;
            try
            {
                passport = PassportIssuer.CreateSelfIssued(request, signingKey, context.Time);
            }
            catch (ArgumentException e)
            {
                throw CliFailure.Usage(e.Message);
            }

            await WritePassportAsync(context, passport, parseResult.GetValue(output), cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateSign(CliContext context)
    {
        var passportFile = new Option<string>("--passport") { Description = "The passport to issue (for example an agent's self-issued one).", Required = true };
        var key = new Option<string>("--key") { Description = "The issuer's key. " + McpsCliSupport.KeyHelp, Required = true };
        var issuer = new Option<string?>("--issuer") { Description = "The anchor name verifiers configure for the issuer key." };
        var parent = new Option<string?>("--parent") { Description = "The issuer's own passport (an intermediate with passport:issue) instead of --issuer." };
        var level = new Option<int>("--level") { Description = "The trust level to grant (0-4).", Required = true };
        var output = new Option<string?>("--out") { Description = "Write the passport to this file instead of standard output." };
        var command = new Command("sign", "Issue a passport: set issuer, issuer_chain and trust_level, and sign with the issuer key (what a Trust Authority does).")
        {
            passportFile, key, issuer, parent, level, output,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var (subject, _) = await McpsCliSupport.ReadPassportAsync(parseResult.GetValue(passportFile)!, cancellationToken).ConfigureAwait(false);
            var issuerName = parseResult.GetValue(issuer);
            var parentPath = parseResult.GetValue(parent);
            if ((issuerName is null) == (parentPath is null))
            {
                throw CliFailure.Usage("Give exactly one of --issuer NAME or --parent PASSPORT_FILE.");
            }

            using var issuerKey = await McpsCliSupport.OpenSigningKeyAsync(context, parseResult.GetValue(key)!, cancellationToken).ConfigureAwait(false);
            AgentPassport issued;
            try
            {
                var identity = issuerName is not null
                    ? PassportIssuerIdentity.Anchor(issuerName)
                    : PassportIssuerIdentity.Intermediate((await McpsCliSupport.ReadPassportAsync(parentPath!, cancellationToken).ConfigureAwait(false)).Passport);
                issued = PassportIssuer.Countersign(subject, issuerKey, identity, parseResult.GetValue(level));
            }
            catch (ArgumentException e)
            {
                throw CliFailure.Usage(e.Message);
            }

            await WritePassportAsync(context, issued, parseResult.GetValue(output), cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateVerify(CliContext context)
    {
        var passportFile = new Option<string?>("--passport") { Description = "The passport file (default: standard input)." };
        var anchors = new Option<string[]>("--anchor") { Description = "A trust anchor NAME=PUBLIC_KEY_FILE (NAME@MAXLEVEL=FILE caps its level); repeatable." };
        var now = new Option<string?>("--now") { Description = "Verify at this instant (RFC 3339 UTC) instead of the clock." };
        var origin = new Option<string?>("--expected-origin") { Description = "The origin the passport must declare." };
        var compat = new Option<bool>("--compat") { Description = "Use the mcp-secure compatibility profile (no passport:issue requirement, no lifetime cap, high-S accepted)." };
        var json = McpsCliSupport.JsonOption();
        var command = new Command("verify", "Verify a passport: size, structure, validity, and its issuer chain to a configured anchor. Exit 0 valid, 1 invalid.")
        {
            passportFile, anchors, now, origin, compat, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var path = parseResult.GetValue(passportFile);
            var bytes = path is null
                ? await McpsCliSupport.ReadStdinAsync(context, cancellationToken).ConfigureAwait(false)
                : await McpsCliSupport.ReadFileAsync(path, 64 * 1024, cancellationToken).ConfigureAwait(false);
            var time = parseResult.GetValue(now) is { } at ? new FixedTimeProvider(McpsCliSupport.ParseNow(at)) : context.Time;
            var store = await McpsCliSupport.ReadAnchorsAsync(context, parseResult.GetValue(anchors), cancellationToken).ConfigureAwait(false);
            var options = parseResult.GetValue(compat) ? McpsVerifierOptions.McpSecureCompat : McpsVerifierOptions.Default;
            var result = new PassportVerifier(store, options, time).Verify(bytes);
            var code = result.Code;
            var reason = result.Reason;
            if (result.IsValid && parseResult.GetValue(origin) is { } expected && McpsOrigin.Check(result.Passport!.Origin, expected) is { } originFailure)
            {
                (code, reason) = (originFailure.Code, originFailure.Reason);
            }

            var valid = code is null;
            if (parseResult.GetValue(json))
            {
                await McpsCliSupport.WriteJsonAsync(context, new JsonObject
                {
                    ["valid"] = valid,
                    ["mcps_code"] = code?.ToCodeString(),
                    ["jsonrpc_code"] = code?.ToJsonRpcCode(),
                    ["reason"] = reason,
                    ["passport_id"] = result.Passport?.PassportId,
                    ["self_issued"] = result.IsSelfIssued,
                    ["root_issuer"] = result.RootIssuer,
                    ["chain_length"] = result.ChainLength,
                    ["trust_level"] = valid ? result.TrustLevel : 0,
                }).ConfigureAwait(false);
                return valid ? ExitCodes.Success : ExitCodes.Rejected;
            }

            if (!valid)
            {
                throw CliFailure.Rejected(code!.Value.ToCodeString(), $"{code.Value.DefaultMessage()} ({reason}).");
            }

            var summary = result.IsSelfIssued
                ? $"valid: {result.Passport!.PassportId} is self-issued (level 0{(result.SelfSignatureValid ? "" : ", self-signature missing or invalid")})"
                : $"valid: {result.Passport!.PassportId} chains to '{result.RootIssuer}' in {result.ChainLength} hop(s); trust level {result.TrustLevel}";
            await context.Out.WriteLineAsync(summary).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateShow(CliContext context)
    {
        var passportFile = new Option<string?>("--passport") { Description = "The passport file (default: standard input)." };
        var json = McpsCliSupport.JsonOption();
        var command = new Command("show", "Show a passport's members (structure is checked; signatures and chain are not: use verify).") { passportFile, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var path = parseResult.GetValue(passportFile);
            var bytes = path is null
                ? await McpsCliSupport.ReadStdinAsync(context, cancellationToken).ConfigureAwait(false)
                : await McpsCliSupport.ReadFileAsync(path, 64 * 1024, cancellationToken).ConfigureAwait(false);
            if (!AgentPassport.TryParse(bytes, out var passport, out var failure))
            {
                throw CliFailure.Rejected(failure!.Code.ToCodeString(), $"Not a valid passport ({failure.Reason}).");
            }

            if (parseResult.GetValue(json))
            {
                await McpsCliSupport.WriteJsonAsync(context, passport!.ToJsonObject()).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            var p = passport!;
            var text = new System.Text.StringBuilder()
                .AppendLine($"passport_id:  {p.PassportId}")
                .AppendLine($"agent:        {p.AgentName} {p.AgentVersion}")
                .AppendLine($"capabilities: {string.Join(", ", p.Capabilities)}")
                .AppendLine($"origin:       {p.Origin ?? "(none)"}")
                .AppendLine($"issuer:       {p.Issuer ?? "self"}{(p.IssuerChain.Count > 0 ? $" (chain of {p.IssuerChain.Count})" : "")}")
                .AppendLine($"trust_level:  {p.ClaimedTrustLevel} (claimed; verify for the effective level)")
                .AppendLine($"valid:        {McpsTimestamp.Format(p.IssuedAt)} .. {McpsTimestamp.Format(p.ExpiresAt)}")
                .AppendLine($"key:          ES256 {p.PublicKey.Thumbprint}");
            await context.Out.WriteAsync(text.ToString()).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task WritePassportAsync(CliContext context, AgentPassport passport, string? output, CancellationToken cancellationToken)
    {
        if (output is not null)
        {
            await McpsCliSupport.WriteFileAtomicAsync(output, passport.ToCanonicalJson(), cancellationToken).ConfigureAwait(false);
            await context.Error.WriteLineAsync($"passport {passport.PassportId} written to {output}").ConfigureAwait(false);
            return;
        }

        await McpsCliSupport.WriteJsonAsync(context, passport.ToJsonObject()).ConfigureAwait(false);
    }
}
