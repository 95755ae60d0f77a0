using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentTrust.Authority;
using AgentTrust.Authority.Services;
using AgentTrust.Authority.Storage;
using AgentTrust.Cli.Commands.Keys;
using AgentTrust.Cryptography;
using AgentTrust.Errors;
using AgentTrust.KeyStore;
using AgentTrust.Mcps.Passports;
using AgentTrust.TrustAuthority;
using Microsoft.Extensions.Logging;

namespace AgentTrust.Cli.Commands.Authority;

/// <summary>
/// <c>agenttrust authority</c>: run a Trust Authority (<c>serve</c>, <c>admin-token create</c>) and talk to one
/// (<c>register</c>, <c>status</c>, <c>revoke</c>, <c>trust</c>). Admin commands read <c>AGENTTRUST_ADMIN_TOKEN</c>.
/// </summary>
internal static class AuthorityCommand
{
    public const string AdminTokenVariable = "AGENTTRUST_ADMIN_TOKEN";
    public const string UrlVariable = "AGENTTRUST_AUTHORITY_URL";
    private const string DefaultUrl = "http://127.0.0.1:8080";
    private const string DefaultKeyName = "authority";

    public static Command Create(CliContext context)
    {
        var command = new Command("authority", "Run or use a Trust Authority: registration, passports, status, staples, revocation, trust levels, audit anchors.");
        command.Subcommands.Add(CreateServe(context));
        var adminToken = new Command("admin-token", "Manage admin tokens of a local Trust Authority database.");
        adminToken.Subcommands.Add(CreateAdminTokenCreate(context));
        command.Subcommands.Add(adminToken);
        command.Subcommands.Add(CreateRegister(context));
        command.Subcommands.Add(CreatePassport(context));
        command.Subcommands.Add(CreateStatus(context));
        command.Subcommands.Add(CreateRevoke(context));
        command.Subcommands.Add(CreateTrust(context));
        return command;
    }

    private static Command CreateServe(CliContext context)
    {
        var db = DbOption();
        var urls = new Option<string?>("--urls") { Description = $"Listening URLs, separated by ';' (default {DefaultUrl})." };
        var key = new Option<string?>("--key") { Description = $"Key-store name of the authority's ES256 key (default '{DefaultKeyName}'); created on first start, with an Ed25519 anchor key NAME-anchor." };
        var name = new Option<string?>("--name") { Description = "The authority's name, the issuer of its passports (default agenttrust-ta)." };
        var command = new Command("serve", "Start the Trust Authority server (SQLite WAL under AGENTTRUST_HOME by default) and print where it listens.") { db, urls, key, name };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var options = new AuthorityServerOptions();
            if (parseResult.GetValue(name) is { Length: > 0 } authorityName)
            {
                options.Name = authorityName;
            }

            foreach (var url in (parseResult.GetValue(urls) ?? DefaultUrl).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                options.Urls.Add(url);
            }

            var keyName = parseResult.GetValue(key) ?? DefaultKeyName;
            await using var repository = OpenRepository(context, parseResult.GetValue(db));
            await Storage(() => repository.MigrateAsync(cancellationToken)).ConfigureAwait(false);
            using var keys = await LoadOrCreateKeysAsync(context, keyName, cancellationToken).ConfigureAwait(false);
            var tokens = await Storage(() => repository.GetAdminTokensAsync(cancellationToken)).ConfigureAwait(false);
            if (tokens.Count == 0)
            {
                var token = await Storage(() => AdminTokens.CreateAsync(repository, "initial", context.Time.GetUtcNow(), cancellationToken)).ConfigureAwait(false);
                await context.Out.WriteLineAsync("First start: admin token (shown once, store it now; send as 'Authorization: Bearer TOKEN'):").ConfigureAwait(false);
                await context.Out.WriteLineAsync(token).ConfigureAwait(false);
            }

            AuthorityServer server;
            try
            {
                server = await AuthorityServer.StartAsync(options, repository, keys, context.Time, logging => logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning), cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw CliFailure.Environment("AT-AUTHORITY-BIND", "Cannot listen: " + e.Message);
            }

            await using (server.ConfigureAwait(false))
            {
                await context.Out.WriteLineAsync($"Trust Authority '{options.Name}' ({repository.Engine}, key {keyName} {keys.PassportKeyId})").ConfigureAwait(false);
                foreach (var address in server.Addresses)
                {
                    await context.Out.WriteLineAsync($"Listening on {address}").ConfigureAwait(false);
                }

                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    await context.Out.WriteLineAsync("Stopping.").ConfigureAwait(false);
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateAdminTokenCreate(CliContext context)
    {
        var db = DbOption();
        var label = new Option<string?>("--label") { Description = "A name for the token, recorded as the actor of its changes (default 'admin')." };
        var command = new Command("create", "Create an admin token (stored hashed) and print it alone on the last line.") { db, label };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var tokenLabel = parseResult.GetValue(label) ?? "admin";
            if (tokenLabel.Length is 0 or > 64 || !tokenLabel.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                throw CliFailure.Usage("--label: 1-64 characters from [A-Za-z0-9._-].");
            }

            await using var repository = OpenRepository(context, parseResult.GetValue(db));
            await Storage(() => repository.MigrateAsync(cancellationToken)).ConfigureAwait(false);
            var token = await Storage(() => AdminTokens.CreateAsync(repository, tokenLabel, context.Time.GetUtcNow(), cancellationToken)).ConfigureAwait(false);
            await context.Error.WriteLineAsync($"Admin token '{tokenLabel}' created; it is shown once:").ConfigureAwait(false);
            await context.Out.WriteLineAsync(token).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateRegister(CliContext context)
    {
        var url = UrlOption();
        var key = new Option<string>("--key") { Description = "Key-store name of the agent's ES256 key (the passport's public_key).", Required = true };
        var passport = new Option<string>("--passport") { Description = "The agent's passport file (self-issued JSON, at most 8192 bytes).", Required = true };
        var command = new Command("register", "Register an agent with proof of key possession; prints the authority-signed passport as JSON.") { url, key, passport };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var path = parseResult.GetValue(passport)!;
            var bytes = await ReadPassportFileAsync(path, cancellationToken).ConfigureAwait(false);
            if (!AgentPassport.TryParse(bytes, out var parsed, out var failure))
            {
                throw CliFailure.Rejected(failure!.Code.ToCodeString(), $"{path} is not a valid passport ({failure.Reason}).");
            }

            var keyName = parseResult.GetValue(key)!;
            var store = new FileKeyStore(FileKeyStore.DefaultDirectory(context.HomeDirectory), context.Time);
            SigningKey agentKey;
            try
            {
                agentKey = await store.OpenAsync(keyName, () => Passphrase.ForExisting(context, $"key '{keyName}'"), cancellationToken).ConfigureAwait(false);
            }
            catch (KeyStoreException e)
            {
                throw KeyErrors.FromStore(e);
            }

            using (agentKey)
            {
                if (!agentKey.PublicKey.Equals(parsed!.PublicKey))
                {
                    throw CliFailure.Rejected(McpsCode.InvalidSignature.ToCodeString(), $"Key '{keyName}' is not the key named in the passport's public_key.");
                }

                using var http = HttpFor(context, parseResult.GetValue(url));
                var client = new TrustAuthorityClient(http, null, context.Time);
                var result = await client.RegisterAsync(parsed.ToJsonObject(), agentKey, cancellationToken).ConfigureAwait(false);
                var answer = Succeeded(result);
                await context.Out.WriteLineAsync(answer["passport"]!.ToJsonString(new JsonSerializerOptions { WriteIndented = true })).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreatePassport(CliContext context)
    {
        var id = new Argument<string>("id") { Description = "The passport id (asp_ + 32 hex)." };
        var url = UrlOption();
        var command = new Command("passport", "Fetch the authority-signed passport as it is now (re-issued at the new level after 'authority trust'; a raise counts only once the agent presents it) and print it as JSON. Its signature is checked against the key the same server publishes, so the answer is only as trustworthy as the URL (use https, or verify the passport later against your pinned anchor). Exit 1 when the authority refuses or the signature does not verify; 3 when it cannot be reached.") { id, url };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var http = HttpFor(context, parseResult.GetValue(url));
            var client = new TrustAuthorityClient(http, null, context.Time);
            var passport = Succeeded(await client.ResolvePassportAsync(parseResult.GetValue(id)!, cancellationToken).ConfigureAwait(false));
            await context.Out.WriteLineAsync(passport.ToJsonString(new JsonSerializerOptions { WriteIndented = true })).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateStatus(CliContext context)
    {
        var id = new Argument<string>("id") { Description = "The passport id (asp_ + 32 hex)." };
        var url = UrlOption();
        var json = new Option<bool>("--json") { Description = "Write the signed status document as JSON." };
        var command = new Command("status", "Show a passport's signed status (VALID, REVOKED, EXPIRED, UNKNOWN), trust level and times. Exit 0 only when VALID; 1 for REVOKED, EXPIRED or UNKNOWN (so 'status ID && ...' never proceeds on a dead passport); 3 when the authority cannot be reached.") { id, url, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var http = HttpFor(context, parseResult.GetValue(url));
            var client = new TrustAuthorityClient(http, null, context.Time);
            var lookup = await client.GetStatusAsync(parseResult.GetValue(id)!, cancellationToken).ConfigureAwait(false);
            if (!lookup.IsAvailable)
            {
                throw Failure(lookup.Code ?? McpsCode.AuthorityUnreachable, lookup.Reason ?? "status_unavailable");
            }

            if (parseResult.GetValue(json))
            {
                await context.Out.WriteLineAsync(lookup.Document!.ToJsonString()).ConfigureAwait(false);
            }
            else
            {
                await context.Out.WriteLineAsync($"status: {lookup.Status.ToStatusName()}").ConfigureAwait(false);
                await context.Out.WriteLineAsync($"trust_level: {lookup.TrustLevel?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}").ConfigureAwait(false);
                await context.Out.WriteLineAsync($"checked_at: {Text(lookup.Document, "checked_at")}").ConfigureAwait(false);
                await context.Out.WriteLineAsync($"valid_until: {Text(lookup.Document, "valid_until")}").ConfigureAwait(false);
                await context.Out.WriteLineAsync($"expires_at: {Text(lookup.Document, "expires_at")}").ConfigureAwait(false);
                if (lookup.Status == PassportStatusKind.Revoked)
                {
                    await context.Out.WriteLineAsync($"revoked_at: {Text(lookup.Document, "revoked_at")} ({Text(lookup.Document, "revocation_reason")})").ConfigureAwait(false);
                }
            }

            // The document was printed either way; the exit code says whether the passport may be relied on.
            return lookup.Status == PassportStatusKind.Active ? ExitCodes.Success : ExitCodes.Rejected;
        });
        return command;
    }

    private static Command CreateRevoke(CliContext context)
    {
        var id = new Argument<string>("id") { Description = "The passport id." };
        var url = UrlOption();
        var reason = new Option<string>("--reason") { Description = "Why (recorded with the admin token's label).", Required = true };
        var command = new Command("revoke", $"Revoke a passport (admin; token from {AdminTokenVariable}).") { id, url, reason };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var token = AdminToken(context);
            using var http = HttpFor(context, parseResult.GetValue(url));
            var client = new TrustAuthorityClient(http, null, context.Time);
            var status = Succeeded(await client.RevokeAsync(parseResult.GetValue(id)!, parseResult.GetValue(reason)!, token, cancellationToken).ConfigureAwait(false));
            await context.Out.WriteLineAsync($"status: {Text(status, "status")} revoked_at: {Text(status, "revoked_at")}").ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateTrust(CliContext context)
    {
        var id = new Argument<string>("id") { Description = "The passport id." };
        var url = UrlOption();
        var level = new Option<int>("--level") { Description = "The new trust level, 0-4.", Required = true };
        var reason = new Option<string>("--reason") { Description = "Why (recorded with the admin token's label).", Required = true };
        var command = new Command("trust", $"Set a passport's trust level (admin; token from {AdminTokenVariable}). A lowered level applies at once through status; the passport is re-issued at the new level, and a raise counts once the agent presents the re-issued passport ('authority passport ID').") { id, url, level, reason };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var newLevel = parseResult.GetValue(level);
            if (newLevel is < 0 or > 4)
            {
                throw CliFailure.Usage("--level must be 0-4.");
            }

            var token = AdminToken(context);
            using var http = HttpFor(context, parseResult.GetValue(url));
            var client = new TrustAuthorityClient(http, null, context.Time);
            var status = Succeeded(await client.SetTrustLevelAsync(parseResult.GetValue(id)!, newLevel, parseResult.GetValue(reason)!, token, cancellationToken).ConfigureAwait(false));
            await context.Out.WriteLineAsync($"status: {Text(status, "status")} trust_level: {status["trust_level"]}").ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task<AuthorityKeyRing> LoadOrCreateKeysAsync(CliContext context, string keyName, CancellationToken cancellationToken)
    {
        var store = new FileKeyStore(FileKeyStore.DefaultDirectory(context.HomeDirectory), context.Time);
        var anchorName = keyName + "-anchor";
        var passphrase = Passphrase.FromEnvironment(context);
        var protection = passphrase is null ? KeyProtection.Unencrypted : KeyProtection.WithPassphrase(passphrase);
        try
        {
            foreach (var (name, algorithm) in new[] { (keyName, SignatureAlgorithm.ES256), (anchorName, SignatureAlgorithm.EdDSA) })
            {
                if (!File.Exists(store.PrivatePath(name)))
                {
                    await store.CreateAsync(algorithm, name, protection, "agenttrust-authority", cancellationToken).ConfigureAwait(false);
                    await context.Error.WriteLineAsync(passphrase is null
                        ? $"agenttrust: created key '{name}' UNENCRYPTED (file mode 0600); set AGENTTRUST_PASSPHRASE before the first start to encrypt it."
                        : $"agenttrust: created key '{name}' (encrypted).").ConfigureAwait(false);
                }
            }

            var passportKey = await store.OpenAsync(keyName, () => Passphrase.ForExisting(context, $"key '{keyName}'"), cancellationToken).ConfigureAwait(false);
            SigningKey anchorKey;
            try
            {
                anchorKey = await store.OpenAsync(anchorName, () => Passphrase.ForExisting(context, $"key '{anchorName}'"), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                passportKey.Dispose();
                throw;
            }

            try
            {
                return new AuthorityKeyRing(passportKey, anchorKey);
            }
            catch (ArgumentException)
            {
                passportKey.Dispose();
                anchorKey.Dispose();
                throw CliFailure.Rejected(KeyErrors.Unsupported, $"Key '{keyName}' must be ES256 and '{anchorName}' Ed25519.");
            }
        }
        catch (KeyStoreException e)
        {
            throw KeyErrors.FromStore(e);
        }
    }

    private static IAuthorityRepository OpenRepository(CliContext context, string? db)
    {
        try
        {
            return AuthorityDatabase.Open(db, context.HomeDirectory);
        }
        catch (ArgumentException e)
        {
            throw CliFailure.Usage(e.Message);
        }
    }

    private static async Task<T> Storage<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (System.Data.Common.DbException e)
        {
            throw CliFailure.Environment("AT-AUTHORITY-DB", "Database error: " + e.Message);
        }
    }

    private static async Task Storage(Func<Task> operation) =>
        await Storage(async () =>
        {
            await operation().ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);

    private static async Task<byte[]> ReadPassportFileAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw CliFailure.Environment("AT-FILE-NOT-FOUND", $"File '{path}' does not exist.");
            }

            if (info.Length > AgentPassport.MaxBytes)
            {
                throw CliFailure.Rejected(McpsCode.PassportTooLarge.ToCodeString(), $"{path} is larger than a passport can be ({AgentPassport.MaxBytes} bytes).");
            }

            return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliFailure.Environment("AT-FILE-IO", $"File '{path}' cannot be read: {e.Message}");
        }
    }

    internal static HttpClient HttpFor(CliContext context, string? url)
    {
        var text = url ?? context.GetEnvironmentVariable(UrlVariable) ?? DefaultUrl;
        if (!Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            throw CliFailure.Usage("--url must be an http(s) URL.");
        }

        return new HttpClient { BaseAddress = uri, Timeout = TimeSpan.FromSeconds(30) };
    }

    private static string AdminToken(CliContext context) =>
        context.GetEnvironmentVariable(AdminTokenVariable) is { Length: > 0 } token
            ? token
            : throw CliFailure.Environment("AT-ADMIN-TOKEN", $"Set {AdminTokenVariable} to an admin token (agenttrust authority admin-token create).");

    private static JsonObject Succeeded(AuthorityResult<JsonObject> result) =>
        result.IsSuccess ? result.Value! : throw Failure(result.Code ?? McpsCode.InternalError, result.Reason ?? "failed");

    internal static CliFailure Failure(McpsCode code, string reason) =>
        code == McpsCode.AuthorityUnreachable
            ? CliFailure.Environment(code.ToCodeString(), $"{code.DefaultMessage()} ({reason}).")
            : CliFailure.Rejected(code.ToCodeString(), $"{code.DefaultMessage()} ({reason}).");

    private static string Text(JsonObject? document, string name) =>
        document?[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : "-";

    private static Option<string?> DbOption() =>
        new("--db") { Description = "Registry database: sqlite:PATH or postgres:CONNECTION-STRING (default SQLite under AGENTTRUST_HOME/authority)." };

    private static Option<string?> UrlOption() =>
        new("--url") { Description = $"The Trust Authority's URL (default {UrlVariable} or {DefaultUrl})." };
}
