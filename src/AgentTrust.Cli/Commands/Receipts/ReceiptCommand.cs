using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Audit;
using AgentTrust.Errors;
using AgentTrust.Json;
using AgentTrust.Receipts;

namespace AgentTrust.Cli.Commands.Receipts;

/// <summary><c>agenttrust receipt</c>: sign Signet-compatible receipts and verify receipts of any version.</summary>
internal static class ReceiptCommand
{
    private const int MaxInputBytes = 4 * 1024 * 1024;

    public static Command Create(CliContext context)
    {
        var command = new Command("receipt", "Sign and verify Signet-compatible tool-call receipts (v1-v4, Ed25519).");
        command.Subcommands.Add(CreateSign(context));
        command.Subcommands.Add(CreateVerify(context));
        return command;
    }

    private static Command CreateSign(CliContext context)
    {
        var key = new Option<string>("--key") { Description = "The Ed25519 key name in the key store.", Required = true };
        var tool = new Option<string>("--tool") { Description = "The tool name.", Required = true };
        var parameters = new Option<string>("--params") { Description = "The tool arguments: JSON text, or @FILE.", Required = true };
        var target = new Option<string>("--target") { Description = "The target, e.g. mcp://github.local.", Required = true };
        var hashOnly = new Option<bool>("--hash-only") { Description = "Sign only the hash of the params (params:null in the receipt)." };
        var noLog = new Option<bool>("--no-log") { Description = "Do not append the receipt to the audit log." };
        var command = new Command("sign", "Sign a v1 receipt for a tool call, print it, and append it to the audit log.")
        {
            key, tool, parameters, target, hashOnly, noLog,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var paramsText = await ReadArgumentAsync(parseResult.GetValue(parameters)!, cancellationToken).ConfigureAwait(false);
            JsonNode? paramsNode;
            try
            {
                paramsNode = JsonNode.Parse(paramsText);
            }
            catch (JsonException e)
            {
                throw CliFailure.Usage($"--params is not JSON: {e.Message}");
            }

            var keyName = parseResult.GetValue(key)!;
            var (signingKey, owner) = await ReceiptKeys.OpenSigningKeyAsync(context, keyName, cancellationToken).ConfigureAwait(false);
            Receipt receipt;
            using (signingKey)
            {
                var signer = new ReceiptSigner(signingKey, keyName, owner, context.Time);
                try
                {
                    var action = parseResult.GetValue(hashOnly)
                        ? ReceiptAction.HashOnly(parseResult.GetValue(tool)!, paramsNode, parseResult.GetValue(target)!)
                        : new ReceiptAction(parseResult.GetValue(tool)!, paramsNode, parseResult.GetValue(target)!);
                    receipt = signer.Sign(action);
                }
                catch (CanonicalJsonException e)
                {
                    throw CliFailure.Rejected(e.Error.Code.ToCodeString(), $"The params cannot be signed ({e.Error.Reason}): {e.Error.Message}");
                }
            }

            if (!parseResult.GetValue(noLog))
            {
                await using var log = await AuditCommand.OpenLogAsync(context, ReceiptKeys.DefaultAuditDirectory(context), cancellationToken).ConfigureAwait(false);
                await log.AppendAsync(receipt, cancellationToken).ConfigureAwait(false);
            }

            await context.Out.WriteLineAsync(receipt.ToJsonString()).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateVerify(CliContext context)
    {
        var file = new Argument<string>("file") { Description = "The receipt file (any version)." };
        var pubkey = new Option<string?>("--pubkey") { Description = "A trusted key: a key name, a file, or an ed25519: base64 string. Without it the verdict is at most self-consistent." };
        var json = new Option<bool>("--json") { Description = "Print the verdict as JSON." };
        var command = new Command("verify", "Verify a receipt (forensic mode: signatures, id, params_hash, v3 agent receipt, v4 chain). Exit 1 when invalid.")
        {
            file, pubkey, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var path = parseResult.GetValue(file)!;
            var bytes = await ReadFileAsync(path, cancellationToken).ConfigureAwait(false);
            var anchors = new PinnedReceiptKeys();
            if (parseResult.GetValue(pubkey) is { } keyArgument)
            {
                anchors.Pin(await ReceiptKeys.ResolvePublicKeyAsync(context, keyArgument, cancellationToken).ConfigureAwait(false));
            }

            var verifier = new ReceiptVerifier(anchors, null, context.Time);
            var verdict = await verifier.VerifyAsync(bytes, ReceiptVerificationOptions.Forensic, cancellationToken).ConfigureAwait(false);
            var receipt = Receipt.TryParse(bytes, out _);
            if (parseResult.GetValue(json))
            {
                await context.Out.WriteLineAsync(VerdictJson(verdict, receipt?.Id).ToJsonString()).ConfigureAwait(false);
                return verdict.Valid ? ExitCodes.Success : ExitCodes.Rejected;
            }

            if (!verdict.Valid)
            {
                throw CliFailure.Rejected((verdict.Code ?? McpsCode.ReceiptInvalid).ToCodeString(), $"receipt invalid: {verdict.Reason}");
            }

            await context.Out.WriteLineAsync($"valid: v{verdict.Version} {receipt?.Id} ({verdict.Level}, {verdict.Mode})").ConfigureAwait(false);
            foreach (var warning in verdict.Warnings)
            {
                await context.Out.WriteLineAsync($"warning: {warning}").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    internal static JsonObject VerdictJson(ReceiptVerdict verdict, string? id) => new()
    {
        ["valid"] = verdict.Valid,
        ["level"] = verdict.Level.ToString(),
        ["mode"] = verdict.Mode.ToString().ToLowerInvariant(),
        ["version"] = verdict.Version,
        ["id"] = id,
        ["code"] = verdict.Code?.ToCodeString(),
        ["reason"] = verdict.Reason,
        ["warnings"] = new JsonArray([.. verdict.Warnings.Select(w => (JsonNode?)JsonValue.Create(w))]),
    };

    private static async Task<string> ReadArgumentAsync(string value, CancellationToken cancellationToken)
        => value.StartsWith('@') ? System.Text.Encoding.UTF8.GetString(await ReadFileAsync(value[1..], cancellationToken).ConfigureAwait(false)) : value;

    internal static async Task<byte[]> ReadFileAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw CliFailure.Environment("AT-FILE-NOT-FOUND", $"File '{path}' does not exist.");
        }

        if (new FileInfo(path).Length > MaxInputBytes)
        {
            throw CliFailure.Rejected(McpsCode.InputLimitExceeded.ToCodeString(), $"File '{path}' is larger than {MaxInputBytes} bytes.");
        }

        return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
    }
}
