using System.CommandLine;
using System.Text.Json.Nodes;
using AgentTrust.Errors;
using AgentTrust.Json;
using AgentTrust.Mcps;
using AgentTrust.Mcps.Passports;
using AgentTrust.Mcps.Tools;

namespace AgentTrust.Cli.Commands.Mcps;

/// <summary><c>agenttrust tool sign|verify|pin|check</c>: tool-definition signatures and pins.</summary>
internal static class ToolCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("tool", "Tool integrity: sign and verify tool definitions, pin them, detect poisoning and rug pulls.");
        command.Subcommands.Add(CreateSign(context));
        command.Subcommands.Add(CreateVerify(context));
        command.Subcommands.Add(CreatePinOrCheck(context, pin: true));
        command.Subcommands.Add(CreatePinOrCheck(context, pin: false));
        return command;
    }

    private static Option<string> ProfileOption() =>
        new("--profile") { Description = "v2: agenttrust-tool-v2, the whole tool (default); v1: mcps-tool-v1 (name, description, inputSchema).", DefaultValueFactory = _ => "v2" };

    private static Command CreateSign(CliContext context)
    {
        var key = new Option<string>("--key") { Description = McpsCliSupport.KeyHelp, Required = true };
        var passport = new Option<string>("--passport") { Description = "The tool author's passport file.", Required = true };
        var origin = new Option<string?>("--author-origin") { Description = "The author origin (must equal the passport's origin when both exist)." };
        var profile = ProfileOption();
        profile.AcceptOnlyFromAmong("v1", "v2");
        var command = new Command("sign", "Sign a tool definition (JSON object on standard input); writes the tool with _meta[\"io.agenttrust/tool-signature\"].")
        {
            key, passport, origin, profile,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var (author, _) = await McpsCliSupport.ReadPassportAsync(parseResult.GetValue(passport)!, cancellationToken).ConfigureAwait(false);
            using var signingKey = await McpsCliSupport.OpenSigningKeyAsync(context, parseResult.GetValue(key)!, cancellationToken).ConfigureAwait(false);
            if (!signingKey.PublicKey.Equals(author.PublicKey))
            {
                throw CliFailure.Usage("The key does not match the passport's public_key.");
            }

            var authorOrigin = parseResult.GetValue(origin);
            if (authorOrigin is not null && author.Origin is not null && McpsOrigin.Check(author.Origin, authorOrigin) is not null)
            {
                throw CliFailure.Rejected(McpsCode.OriginMismatch.ToCodeString(), "--author-origin differs from the passport's origin.");
            }

            var tool = await ReadToolAsync(context, cancellationToken).ConfigureAwait(false);
            var chosen = parseResult.GetValue(profile) == "v1" ? ToolSignatureProfile.McpsV1 : ToolSignatureProfile.AgentTrustV2;
            ToolSignature.Sign(tool, signingKey, author.PassportId, authorOrigin, chosen, context.Time);
            await McpsCliSupport.WriteJsonAsync(context, tool).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateVerify(CliContext context)
    {
        var pubkey = new Option<string?>("--pubkey") { Description = "The author's public key file (PEM SPKI or JWK)." };
        var passport = new Option<string?>("--passport") { Description = "The author's passport file (its key and origin are used)." };
        var profile = new Option<string?>("--require-profile") { Description = "Refuse any other profile: v1 or v2." };
        profile.AcceptOnlyFromAmong("v1", "v2");
        var json = McpsCliSupport.JsonOption();
        var command = new Command("verify", "Verify a signed tool definition from standard input. Exit 0 valid, 1 invalid (MCPS-008).")
        {
            pubkey, passport, profile, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var pubkeyPath = parseResult.GetValue(pubkey);
            var passportPath = parseResult.GetValue(passport);
            if ((pubkeyPath is null) == (passportPath is null))
            {
                throw CliFailure.Usage("Give exactly one of --pubkey FILE or --passport FILE.");
            }

            AgentTrust.Cryptography.VerificationKey key;
            string? signerOrigin = null;
            string? expectedSigner = null;
            if (pubkeyPath is not null)
            {
                key = await McpsCliSupport.ReadPublicKeyAsync(context, pubkeyPath, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var (author, _) = await McpsCliSupport.ReadPassportAsync(passportPath!, cancellationToken).ConfigureAwait(false);
                (key, signerOrigin, expectedSigner) = (author.PublicKey, author.Origin, author.PassportId);
            }

            var tool = await ReadToolAsync(context, cancellationToken).ConfigureAwait(false);
            ToolSignatureProfile? required = parseResult.GetValue(profile) switch
            {
                "v1" => ToolSignatureProfile.McpsV1,
                "v2" => ToolSignatureProfile.AgentTrustV2,
                _ => null,
            };
            var result = ToolSignature.Verify(tool, key, signerOrigin, required);
            if (result.IsValid && expectedSigner is not null && result.PassportId != expectedSigner)
            {
                result = result with { IsValid = false, Code = McpsCode.ToolIntegrityFailed, Reason = McpsReasons.ToolSignatureMismatch };
            }

            if (parseResult.GetValue(json))
            {
                await McpsCliSupport.WriteJsonAsync(context, new JsonObject
                {
                    ["valid"] = result.IsValid,
                    ["mcps_code"] = result.Code?.ToCodeString(),
                    ["reason"] = result.Reason,
                    ["profile"] = result.Profile.ToWireName(),
                    ["tool_hash"] = result.ToolHash,
                    ["passport_id"] = result.PassportId,
                }).ConfigureAwait(false);
                return result.IsValid ? ExitCodes.Success : ExitCodes.Rejected;
            }

            if (!result.IsValid)
            {
                throw CliFailure.Rejected((result.Code ?? McpsCode.ToolIntegrityFailed).ToCodeString(), $"Tool signature invalid ({result.Reason}).");
            }

            await context.Out.WriteLineAsync($"valid: {result.Profile.ToWireName()} signature by {result.PassportId}, tool_hash {result.ToolHash}").ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreatePinOrCheck(CliContext context, bool pin)
    {
        var server = new Option<string>("--server") { Description = "The server identity: its passport id, or the endpoint (command line or URL).", Required = true };
        var pins = new Option<string?>("--pins") { Description = "The pin file (default: <AGENTTRUST_HOME>/pins.json)." };
        var strict = new Option<bool>("--strict") { Description = "Do not pin tools seen for the first time (they are reported as unpinned)." };
        var approve = new Option<string[]>("--approve") { Description = "Explicitly re-pin this tool to its current definition (repeatable)." };
        var json = McpsCliSupport.JsonOption();
        var command = pin
            ? new Command("pin", "Pin the tools of a tools/list result (standard input: the response, its result, or the tools array). New tools are pinned (TOFU) unless --strict; a changed tool keeps its old pin unless --approve names it.") { server, pins, strict, approve, json }
            : new Command("check", "Check the tools of a tools/list result against the pins without changing them. Exit 0 when clean, 1 when anything changed, is unpinned, was removed, or contains deceptive Unicode.") { server, pins, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var tools = await ReadToolListAsync(context, cancellationToken).ConfigureAwait(false);
            var path = parseResult.GetValue(pins) ?? Path.Combine(context.HomeDirectory, "pins.json");
            using var store = new FileToolPinStore(path, context.Time);
            var serverId = parseResult.GetValue(server)!;
            IToolPinStore target = pin ? store : new ReadOnlyPins(store);
            var mode = !pin || parseResult.GetValue(strict) ? PinMode.Strict : PinMode.Tofu;
            var checker = new ToolPinChecker(target, mode, context.Time);
            ToolPinReport report;
            try
            {
                if (pin)
                {
                    foreach (var name in parseResult.GetValue(approve) ?? [])
                    {
                        var tool = tools.OfType<JsonObject>().FirstOrDefault(t => McpsJsonName(t) == name)
                            ?? throw CliFailure.Usage($"--approve {name}: no such tool in the list.");
                        await checker.ApproveAsync(serverId, tool, cancellationToken).ConfigureAwait(false);
                    }
                }

                report = await checker.CheckListAsync(serverId, tools, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException e)
            {
                throw CliFailure.Environment("AT-PINS-CORRUPT", $"{path}: {e.Message}");
            }

            await WriteReportAsync(context, report, parseResult.GetValue(json)).ConfigureAwait(false);
            var blocked = report.Changed.Count > 0 || report.Unpinned.Count > 0;
            return pin ? (blocked ? ExitCodes.Rejected : ExitCodes.Success) : (report.IsClean ? ExitCodes.Success : ExitCodes.Rejected);
        });
        return command;
    }

    private static string? McpsJsonName(JsonObject tool) => tool["name"] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    private static async Task WriteReportAsync(CliContext context, ToolPinReport report, bool json)
    {
        if (json)
        {
            await McpsCliSupport.WriteJsonAsync(context, new JsonObject
            {
                ["clean"] = report.IsClean,
                ["added"] = Strings(report.Added),
                ["unpinned"] = Strings(report.Unpinned),
                ["removed"] = Strings(report.Removed),
                ["unchanged"] = Strings(report.Unchanged),
                ["changed"] = new JsonArray([.. report.Changed.Select(c => (JsonNode?)new JsonObject
                {
                    ["tool"] = c.ToolName, ["pinned_hash"] = c.PinnedHash, ["current_hash"] = c.CurrentHash, ["mcps_code"] = "MCPS-008", ["reason"] = McpsReasons.PinMismatch,
                })]),
                ["findings"] = new JsonArray([.. report.Findings.Select(f => (JsonNode?)new JsonObject
                {
                    ["field"] = f.Field, ["kind"] = f.Kind.ToString(), ["index"] = f.Index, ["code_point"] = f.CodePoint, ["looks_like"] = f.LooksLike,
                })]),
            }).ConfigureAwait(false);
            return;
        }

        var text = new System.Text.StringBuilder();
        foreach (var name in report.Added)
        {
            text.AppendLine($"pinned     {name}");
        }

        foreach (var name in report.Unchanged)
        {
            text.AppendLine($"ok         {name}");
        }

        foreach (var change in report.Changed)
        {
            text.AppendLine($"CHANGED    {change.ToolName} (pinned {change.PinnedHash[..12]}…, now {change.CurrentHash[..12]}…): blocked, MCPS-008 pin_mismatch");
        }

        foreach (var name in report.Unpinned)
        {
            text.AppendLine($"UNPINNED   {name}: blocked until approved, MCPS-008 unpinned_tool");
        }

        foreach (var name in report.Removed)
        {
            text.AppendLine($"removed    {name}");
        }

        foreach (var finding in report.Findings)
        {
            var codePoint = finding.CodePoint.Length == 0 ? "" : " " + finding.CodePoint;
            text.AppendLine($"UNICODE    {finding.Field}[{finding.Index}]: {finding.Kind}{codePoint}{(finding.LooksLike is null ? "" : $" looks like '{finding.LooksLike}'")}");
        }

        await context.Out.WriteAsync(text.ToString()).ConfigureAwait(false);
    }

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);

    private static async Task<JsonObject> ReadToolAsync(CliContext context, CancellationToken cancellationToken)
    {
        var bytes = await McpsCliSupport.ReadStdinAsync(context, cancellationToken).ConfigureAwait(false);
        if (!JsonCanonicalizer.TryValidate(bytes, CanonicalJsonOptions.Strict, out var error))
        {
            throw CliFailure.Rejected(error!.Code.ToCodeString(), $"The tool is not valid input ({error.Reason}).");
        }

        return JsonNode.Parse(bytes) as JsonObject ?? throw CliFailure.Rejected(McpsCliSupport.BadInput, "The tool must be a JSON object.");
    }

    private static async Task<JsonArray> ReadToolListAsync(CliContext context, CancellationToken cancellationToken)
    {
        var bytes = await McpsCliSupport.ReadStdinAsync(context, cancellationToken).ConfigureAwait(false);
        if (!JsonCanonicalizer.TryValidate(bytes, CanonicalJsonOptions.Strict, out var error))
        {
            throw CliFailure.Rejected(error!.Code.ToCodeString(), $"The tool list is not valid input ({error.Reason}).");
        }

        var node = JsonNode.Parse(bytes);
        var tools = node switch
        {
            JsonArray array => array,
            JsonObject { } o when o["result"] is JsonObject r && r["tools"] is JsonArray a => a,
            JsonObject { } o when o["tools"] is JsonArray a => a,
            _ => null,
        };
        return tools ?? throw CliFailure.Rejected(McpsCliSupport.BadInput, "Expected a tools/list response, its result, or a tools array.");
    }

    /// <summary>The pins of <c>tool check</c>: readable, never written.</summary>
    private sealed class ReadOnlyPins(IToolPinStore inner) : IToolPinStore
    {
        public ValueTask<IReadOnlyDictionary<string, ToolPin>> GetAsync(string serverId, CancellationToken cancellationToken) => inner.GetAsync(serverId, cancellationToken);

        public ValueTask<bool> TryAddAsync(ToolPin pin, CancellationToken cancellationToken) => ValueTask.FromResult(false);

        public ValueTask ApproveAsync(ToolPin pin, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask<bool> RemoveAsync(string serverId, string toolName, CancellationToken cancellationToken) => ValueTask.FromResult(false);
    }
}
