using System.CommandLine;
using AgentTrust.Mcps.Envelopes;

namespace AgentTrust.Cli.Commands.Mcps;

/// <summary><c>agenttrust sign</c>: a JSON-RPC message on standard input → the signed message on standard output.</summary>
internal static class SignCommand
{
    public static Command Create(CliContext context)
    {
        var key = new Option<string>("--key") { Description = McpsCliSupport.KeyHelp, Required = true };
        var passport = new Option<string>("--passport") { Description = "The signer's passport file (its id goes into the envelope; embedded in _meta unless --no-embed).", Required = true };
        var placement = new Option<string>("--placement") { Description = "meta: params/result/error.data _meta (default); top: top-level mcps (mcp-secure 1.x).", DefaultValueFactory = _ => "meta" };
        placement.AcceptOnlyFromAmong("meta", "top");
        var noEmbed = new Option<bool>("--no-embed") { Description = "Do not embed the passport in _meta." };
        var binding = new Option<string?>("--channel-binding") { Description = "Channel binding added to the signed payload (e.g. tls-exporter:<hex>)." };
        var audience = new Option<string?>("--audience") { Description = "The intended server (io.agenttrust/aud, requests only)." };
        var command = new Command("sign", "Sign a JSON-RPC message (request, notification, result or error) read from standard input with an MCPS envelope.")
        {
            key, passport, placement, noEmbed, binding, audience,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var (signerPassport, _) = await McpsCliSupport.ReadPassportAsync(parseResult.GetValue(passport)!, cancellationToken).ConfigureAwait(false);
            using var signingKey = await McpsCliSupport.OpenSigningKeyAsync(context, parseResult.GetValue(key)!, cancellationToken).ConfigureAwait(false);
            if (!signingKey.PublicKey.Equals(signerPassport.PublicKey))
            {
                throw CliFailure.Usage("The key does not match the passport's public_key.");
            }

            var message = await McpsCliSupport.ReadStdinAsync(context, cancellationToken).ConfigureAwait(false);
            var top = parseResult.GetValue(placement) == "top";
            var options = new McpsSignOptions
            {
                Placement = top ? EnvelopePlacement.TopLevel : EnvelopePlacement.Meta,
                ChannelBinding = parseResult.GetValue(binding),
                Audience = parseResult.GetValue(audience),
                EmbeddedPassport = top || parseResult.GetValue(noEmbed) ? null : signerPassport.ToJsonObject(),
            };
            byte[] signed;
            try
            {
                signed = new McpsMessageSigner(signingKey, signerPassport.PassportId, context.Time).Sign(message, options);
            }
            catch (ArgumentException e)
            {
                throw CliFailure.Rejected(McpsCliSupport.BadInput, e.Message.Split(" (Parameter", 2)[0]);
            }
            catch (AgentTrust.Json.CanonicalJsonException e)
            {
                throw CliFailure.Rejected(AgentTrust.Errors.McpsCodes.ToCodeString(e.Error.Code), e.Error.Reason);
            }

            await context.Out.WriteLineAsync(System.Text.Encoding.UTF8.GetString(signed)).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }
}
