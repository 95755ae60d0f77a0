using System.CommandLine;
using System.Text.Json;
using AgentTrust.Attestation;
using AgentTrust.Cli.Commands.Keys;
using AgentTrust.Cryptography;
using AgentTrust.Jose;
using AgentTrust.Jwks;
using AgentTrust.Keys;
using AgentTrust.KeyStore;
using AgentTrust.Replay;

namespace AgentTrust.Cli.Commands.Attest;

/// <summary>
/// <c>agenttrust attest</c>: mint attestation tokens with a stored key, verify tokens against a JWKS and explicit
/// trusted issuers (never the token's own <c>iss</c>), and publish a JWKS from stored keys.
/// </summary>
internal static class AttestCommand
{
    public const string Invalid = "AT-ATTEST-INVALID";
    public const string JwksError = "AT-ATTEST-JWKS";
    public const string TokenError = "AT-ATTEST-TOKEN";

    public static Command Create(CliContext context)
    {
        var command = new Command("attest", "MCP agent attestation tokens (JWT, EdDSA or ES256, SPIFFE subjects): issue, verify, publish a JWKS.");
        command.Subcommands.Add(CreateIssue(context));
        command.Subcommands.Add(CreateVerify(context));
        command.Subcommands.Add(CreateJwks(context));
        return command;
    }

    private static Command CreateIssue(CliContext context)
    {
        var key = new Option<string>("--key") { Description = "Name of the signing key in the key store.", Required = true };
        var kid = new Option<string?>("--kid") { Description = "The kid to put in the header (default: the key's RFC 7638 thumbprint, as `attest jwks` publishes it)." };
        var issuer = new Option<string>("--issuer") { Description = "Issuer URL (https, or http on loopback).", Required = true };
        var audience = new Option<string>("--audience") { Description = "The target server (aud).", Required = true };
        var subject = new Option<string>("--subject") { Description = "The agent's SPIFFE ID (sub).", Required = true };
        var family = new Option<string>("--model-family") { Description = "agent_identity.model_family.", Required = true };
        var version = new Option<string>("--model-version") { Description = "agent_identity.model_version.", Required = true };
        var provider = new Option<string>("--provider") { Description = "agent_identity.provider.", Required = true };
        var ttl = new Option<int>("--ttl") { Description = "Lifetime in seconds (default 300).", DefaultValueFactory = _ => 300 };
        var safety = new Option<string>("--safety-level") { Description = "minimal, standard or enhanced (default standard).", DefaultValueFactory = _ => "standard" };
        safety.AcceptOnlyFromAmong("minimal", "standard", "enhanced");
        var command = new Command("issue", "Mint an attestation token signed by a stored key; prints the token.")
        {
            key, kid, issuer, audience, subject, family, version, provider, ttl, safety,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var store = new FileKeyStore(FileKeyStore.DefaultDirectory(context.HomeDirectory), context.Time);
            var name = parseResult.GetValue(key)!;
            using var signingKey = await Open(store, name, context, cancellationToken).ConfigureAwait(false);
            var seconds = parseResult.GetValue(ttl);
            if (seconds is <= 0 or > 86_400)
            {
                throw CliFailure.Usage("--ttl must be 1..86400 seconds.");
            }

            _ = AttestationNames.TryParseSafetyLevel(parseResult.GetValue(safety), out var level);
            AttestationTokenIssuer issuerInstance;
            string token;
            try
            {
                issuerInstance = new AttestationTokenIssuer(signingKey, parseResult.GetValue(kid) ?? signingKey.PublicKey.Thumbprint, parseResult.GetValue(issuer)!, context.Time);
                token = issuerInstance.Issue(new AttestationTokenRequest
                {
                    Audience = parseResult.GetValue(audience)!,
                    Subject = parseResult.GetValue(subject)!,
                    AgentIdentity = new AgentIdentity(parseResult.GetValue(family)!, parseResult.GetValue(version)!, parseResult.GetValue(provider)!),
                    SafetyLevel = level,
                    Lifetime = TimeSpan.FromSeconds(seconds),
                });
            }
            catch (ArgumentException e)
            {
                throw CliFailure.Usage(e.Message);
            }

            await context.Out.WriteLineAsync(token).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateVerify(CliContext context)
    {
        var tokenOption = new Option<string>("--token") { Description = "File holding the token, or - for standard input (default).", DefaultValueFactory = _ => "-" };
        var jwks = new Option<string>("--jwks") { Description = "The issuer's JWKS: a file, or an https (or loopback http) URL.", Required = true };
        var issuers = new Option<string[]>("--issuer") { Description = "A trusted issuer URL (repeatable). The token's own iss is never trusted by itself.", Required = true, AllowMultipleArgumentsPerToken = false };
        var audience = new Option<string>("--audience") { Description = "This server's identifier; the token's aud must contain it.", Required = true };
        var now = new Option<long?>("--now") { Description = "Verify as of this Unix time (seconds) instead of the clock." };
        var mode = new Option<string>("--mode") { Description = "Policy mode: required (default), preferred or optional.", DefaultValueFactory = _ => "required" };
        mode.AcceptOnlyFromAmong("required", "preferred", "optional");
        var json = new Option<bool>("--json") { Description = "Write the verdict as JSON." };
        var command = new Command("verify", "Verify an attestation token. Exit 0 when verified, 1 when not.")
        {
            tokenOption, jwks, issuers, audience, now, mode, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var token = (await ReadTokenAsync(context, parseResult.GetValue(tokenOption)!, cancellationToken).ConfigureAwait(false)).Trim();
            var time = parseResult.GetValue(now) is { } unix ? new FixedTime(DateTimeOffset.FromUnixTimeSeconds(unix)) : context.Time;
            _ = AttestationNames.TryParsePolicyMode(parseResult.GetValue(mode), out var policyMode);
            using var keys = await OpenKeySourceAsync(parseResult.GetValue(jwks)!, time, context.Error, cancellationToken).ConfigureAwait(false);
            AttestationVerifier verifier;
            try
            {
                verifier = new AttestationVerifier(new AttestationVerifierOptions
                {
                    Issuers = parseResult.GetValue(issuers)!.Select(i => new TrustedIssuer(i, keys.Resolver)).ToList(),
                    Audience = parseResult.GetValue(audience)!,
                    Mode = policyMode,
                    ReplayStore = new InMemoryReplayStore(timeProvider: time),
                    TimeProvider = time,
                });
            }
            catch (ArgumentException e)
            {
                throw CliFailure.Usage(e.Message);
            }

            var verdict = await verifier.VerifyAsync(token.Length == 0 ? null : token, cancellationToken: cancellationToken).ConfigureAwait(false);
            await WriteVerdictAsync(context, verdict, parseResult.GetValue(json)).ConfigureAwait(false);
            return verdict.Verified ? ExitCodes.Success : ExitCodes.Rejected;
        });
        return command;
    }

    private static Command CreateJwks(CliContext context)
    {
        var keys = new Option<string[]>("--key") { Description = "A stored key to publish (repeatable); kid = its RFC 7638 thumbprint.", Required = true };
        var command = new Command("jwks", "Print the JWKS document ({\"keys\":[…]}) of stored keys, public parts only.") { keys };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var store = new FileKeyStore(FileKeyStore.DefaultDirectory(context.HomeDirectory), context.Time);
            var publicKeys = new List<VerificationKey>();
            foreach (var name in parseResult.GetValue(keys)!)
            {
                try
                {
                    publicKeys.Add((await store.GetAsync(name, cancellationToken).ConfigureAwait(false)).PublicKey);
                }
                catch (KeyStoreException e)
                {
                    throw KeyErrors.FromStore(e);
                }
            }

            try
            {
                await context.Out.WriteLineAsync(JsonWebKeySet.Create(publicKeys).ToJson()).ConfigureAwait(false);
            }
            catch (ArgumentException e)
            {
                throw CliFailure.Usage(e.Message);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task<SigningKey> Open(FileKeyStore store, string name, CliContext context, CancellationToken cancellationToken)
    {
        try
        {
            return await store.OpenAsync(name, () => Passphrase.ForExisting(context, name), cancellationToken).ConfigureAwait(false);
        }
        catch (KeyStoreException e)
        {
            throw KeyErrors.FromStore(e);
        }
    }

    private static async Task<string> ReadTokenAsync(CliContext context, string source, CancellationToken cancellationToken)
    {
        const int limit = 64 * 1024;
        try
        {
            if (source == "-")
            {
                using var reader = new StreamReader(context.StandardInput, leaveOpen: true);
                var buffer = new char[limit + 1];
                var read = await reader.ReadBlockAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
                return read > limit ? throw CliFailure.Rejected(TokenError, "The token is larger than 64 KiB.") : new string(buffer, 0, read);
            }

            var info = new FileInfo(source);
            if (!info.Exists)
            {
                throw CliFailure.Environment(KeyErrors.FileNotFound, $"No such file: {source}");
            }

            return info.Length > limit ? throw CliFailure.Rejected(TokenError, "The token file is larger than 64 KiB.") : await File.ReadAllTextAsync(source, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw CliFailure.Environment(KeyErrors.Io, e.Message);
        }
    }

    internal static async Task<KeySource> OpenKeySourceAsync(string jwks, TimeProvider time, TextWriter errorOut, CancellationToken cancellationToken)
    {
        if (jwks.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || jwks.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            HttpJwksKeyResolver client;
            try
            {
                client = new HttpJwksKeyResolver(new JwksClientOptions { JwksUri = new Uri(jwks), MaxRetries = 1 }, timeProvider: time);
            }
            catch (Exception e) when (e is ArgumentException or UriFormatException)
            {
                throw CliFailure.Usage(e.Message);
            }

            if (!await client.RefreshAsync(cancellationToken).ConfigureAwait(false))
            {
                client.Dispose();
                throw CliFailure.Environment(JwksError, $"Could not fetch a valid JWKS from {jwks}.");
            }

            return new KeySource(client, client);
        }

        byte[] bytes;
        try
        {
            var info = new FileInfo(jwks);
            if (!info.Exists)
            {
                throw CliFailure.Environment(KeyErrors.FileNotFound, $"No such file: {jwks}");
            }

            if (info.Length > JsonWebKeySetResolver.MaxDocumentBytes)
            {
                throw CliFailure.Rejected(JwksError, "The JWKS file is larger than 64 KiB.");
            }

            bytes = await File.ReadAllBytesAsync(jwks, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw CliFailure.Environment(KeyErrors.Io, e.Message);
        }

        if (!JsonWebKeySetResolver.TryParse(bytes, out var resolver, out var error))
        {
            throw CliFailure.Rejected(JwksError, $"Invalid JWKS: {error}");
        }

        foreach (var ignored in resolver!.IgnoredKeys)
        {
            await errorOut.WriteLineAsync($"agenttrust: warning: JWKS {ignored}").ConfigureAwait(false);
        }

        return new KeySource(resolver, null);
    }

    private static async Task WriteVerdictAsync(CliContext context, AttestationVerdict verdict, bool json)
    {
        if (json)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteBoolean("verified", verdict.Verified);
                w.WriteBoolean("should_proceed", verdict.ShouldProceed);
                w.WriteString("policy", verdict.Policy.ToWireName());
                w.WriteString("trust_level", verdict.TrustLevel.ToWireName());
                if (verdict.Verified)
                {
                    w.WriteNull("error_code");
                    w.WriteNull("reason");
                    w.WriteString("issuer", verdict.Issuer);
                    w.WriteString("subject", verdict.Subject);
                    w.WriteString("jti", verdict.Claims!.JwtId);
                    w.WriteString("safety_level", verdict.Claims.SafetyLevel.ToWireName());
                    w.WriteNumber("exp", verdict.Claims.ExpiresAt);
                }
                else
                {
                    w.WriteNumber("error_code", verdict.JsonRpcCode!.Value);
                    w.WriteString("reason", verdict.Reason.ToWireName());
                    w.WriteString("mcps_code", "MCPS-020");
                }

                w.WriteEndObject();
            }

            await context.Out.WriteLineAsync(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan)).ConfigureAwait(false);
            return;
        }

        if (verdict.Verified)
        {
            await context.Out.WriteLineAsync($"verified: issuer {verdict.Issuer}, subject {verdict.Subject}, trust level {verdict.TrustLevel.ToWireName()}").ConfigureAwait(false);
        }
        else
        {
            await context.Out.WriteLineAsync($"not verified: {verdict.Reason.ToWireName()} ({verdict.JsonRpcCode}, MCPS-020); should proceed under {verdict.Policy.ToWireName()}: {(verdict.ShouldProceed ? "yes" : "no")}").ConfigureAwait(false);
        }
    }

    internal sealed class KeySource(IJwsKeyResolver resolver, IDisposable? owned) : IDisposable
    {
        public IJwsKeyResolver Resolver { get; } = resolver;

        public void Dispose() => owned?.Dispose();
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
