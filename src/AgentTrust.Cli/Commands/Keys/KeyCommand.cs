using System.CommandLine;
using AgentTrust.Cryptography;
using AgentTrust.Keys;
using AgentTrust.KeyStore;

namespace AgentTrust.Cli.Commands.Keys;

/// <summary>
/// <c>agenttrust key</c>: create, list, show, export (public only) and import keys in the key store
/// (<c>&lt;AGENTTRUST_HOME or ~/.agenttrust&gt;/keys</c>, Signet-compatible files).
/// </summary>
internal static class KeyCommand
{
    private const int MaxImportBytes = KeyImport.MaxInputBytes;

    public static Command Create(CliContext context)
    {
        var command = new Command("key", "Manage signing keys: ES256 (P-256) and Ed25519, stored as Signet-compatible key files, encrypted by default.");
        command.Subcommands.Add(CreateNew(context));
        command.Subcommands.Add(CreateList(context));
        command.Subcommands.Add(CreateShow(context));
        command.Subcommands.Add(CreateExport(context));
        command.Subcommands.Add(CreateImport(context));
        return command;
    }

    private static Command CreateNew(CliContext context)
    {
        var alg = new Option<string>("--alg") { Description = "Key algorithm: es256 (ECDSA P-256) or ed25519.", Required = true };
        alg.AcceptOnlyFromAmong("es256", "ed25519");
        var name = NameOption();
        var unencrypted = UnencryptedOption();
        var owner = OwnerOption();
        var json = JsonOption();
        var command = new Command("new", "Generate a new key and store it (encrypted with a passphrase from AGENTTRUST_PASSPHRASE, SIGNET_PASSPHRASE or a prompt).")
        {
            alg, name, unencrypted, owner, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var keyName = parseResult.GetValue(name)!;
            CheckName(keyName);
            var algorithm = parseResult.GetValue(alg) == "ed25519" ? SignatureAlgorithm.EdDSA : SignatureAlgorithm.ES256;
            var store = OpenStore(context);
            EnsureAbsent(store, keyName);
            var protection = parseResult.GetValue(unencrypted) ? KeyProtection.Unencrypted : KeyProtection.WithPassphrase(NewPassphrase(context, keyName));
            var stored = await Run(() => store.CreateAsync(algorithm, keyName, protection, parseResult.GetValue(owner), cancellationToken)).ConfigureAwait(false);
            await KeyOutput.WriteCreatedAsync(context, store, stored, "created", parseResult.GetValue(json)).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateList(CliContext context)
    {
        var json = JsonOption();
        var command = new Command("list", "List the stored keys (public information only). Unreadable key files are reported on stderr (exit 1) without hiding the others.") { json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var store = OpenStore(context);
            var listing = await Run(() => store.ListAsync(cancellationToken)).ConfigureAwait(false);
            await KeyOutput.WriteListAsync(context, store, listing, parseResult.GetValue(json)).ConfigureAwait(false);
            foreach (var problem in listing.Problems)
            {
                var failure = KeyErrors.FromStore(new KeyStoreException(problem.Error, problem.Message, problem.FormatError));
                await context.Error.WriteLineAsync($"agenttrust: error {failure.Code}: {problem.Message.ReplaceLineEndings(" ")}").ConfigureAwait(false);
            }

            return listing.Problems.Count == 0 ? ExitCodes.Success : ExitCodes.Rejected;
        });
        return command;
    }

    private static Command CreateShow(CliContext context)
    {
        var name = new Argument<string>("name") { Description = "The key name." };
        var json = JsonOption();
        var command = new Command("show", "Show one key: algorithm, thumbprint (kid), public key as JWK and PEM. Never prints private material.") { name, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var keyName = parseResult.GetValue(name)!;
            CheckName(keyName);
            var store = OpenStore(context);
            var stored = await Run(() => store.GetAsync(keyName, cancellationToken)).ConfigureAwait(false);
            await KeyOutput.WriteShowAsync(context, store, stored, parseResult.GetValue(json)).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateExport(CliContext context)
    {
        var name = new Argument<string>("name") { Description = "The key name." };
        var isPublic = new Option<bool>("--public")
        {
            Description = "Export the public key (required: exporting private keys is not supported by this command).",
        };
        var format = new Option<string>("--format") { Description = "Output format: pem (SubjectPublicKeyInfo) or jwk (with kid = RFC 7638 thumbprint, alg, use).", DefaultValueFactory = _ => "pem" };
        format.AcceptOnlyFromAmong("pem", "jwk");
        var command = new Command("export", "Export the PUBLIC key of a stored key as PEM or JWK. --public is required; private keys are never exported.")
        {
            name, isPublic, format,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            if (!parseResult.GetValue(isPublic))
            {
                throw CliFailure.Usage("Only public keys can be exported: pass --public (private key export is not supported).");
            }

            var keyName = parseResult.GetValue(name)!;
            CheckName(keyName);
            var store = OpenStore(context);
            var stored = await Run(() => store.GetAsync(keyName, cancellationToken)).ConfigureAwait(false);
            if (parseResult.GetValue(format) == "jwk")
            {
                var jwk = stored.PublicKey.ToJsonWebKey().With(kid: stored.PublicKey.Thumbprint, alg: stored.Algorithm.ToIdentifier(), use: "sig");
                await context.Out.WriteLineAsync(jwk.ToJson()).ConfigureAwait(false);
            }
            else
            {
                await context.Out.WriteAsync(PemKeys.ExportPublicKeyPem(stored.PublicKey)).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateImport(CliContext context)
    {
        var file = new Argument<string>("file") { Description = "The key file: PEM (PUBLIC KEY, PRIVATE KEY, EC PRIVATE KEY), JWK, or a Signet .key/.pub file." };
        var name = NameOption();
        var unencrypted = UnencryptedOption();
        var owner = OwnerOption();
        var json = JsonOption();
        var command = new Command("import", "Import a key into the store. Private keys are stored encrypted unless --unencrypted; public keys are stored as .pub only.")
        {
            file, name, unencrypted, owner, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var keyName = parseResult.GetValue(name)!;
            CheckName(keyName);
            var path = parseResult.GetValue(file)!;
            var store = OpenStore(context);
            EnsureAbsent(store, keyName);
            var content = await ReadImportFileAsync(path, cancellationToken).ConfigureAwait(false);
            ImportedKey imported;
            try
            {
                imported = KeyImport.Import(content, () => Passphrase.ForExisting(context, Path.GetFileName(path)));
            }
            catch (KeyFormatException e)
            {
                throw KeyErrors.FromFormat(e.Error, e.Message);
            }
            finally
            {
                Array.Clear(content);
            }

            using (imported)
            {
                StoredKey stored;
                if (imported.SigningKey is { } signingKey)
                {
                    var protection = parseResult.GetValue(unencrypted) ? KeyProtection.Unencrypted : KeyProtection.WithPassphrase(NewPassphrase(context, keyName));
                    stored = await Run(() => store.AddAsync(signingKey, keyName, protection, parseResult.GetValue(owner), cancellationToken)).ConfigureAwait(false);
                }
                else
                {
                    stored = await Run(() => store.AddPublicAsync(imported.PublicKey, keyName, parseResult.GetValue(owner), cancellationToken)).ConfigureAwait(false);
                }

                await KeyOutput.WriteCreatedAsync(context, store, stored, "imported", parseResult.GetValue(json)).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Option<string> NameOption() =>
        new("--name") { Description = "The key name: letters, digits, '_' and '-' (at most 64 characters).", Required = true };

    private static Option<bool> UnencryptedOption() =>
        new("--unencrypted") { Description = "Store the private key WITHOUT encryption (anyone who can read the file can sign as you)." };

    private static Option<string?> OwnerOption() =>
        new("--owner") { Description = "Optional owner recorded in the .pub file." };

    private static Option<bool> JsonOption() =>
        new("--json") { Description = "Write the result as JSON." };

    private static FileKeyStore OpenStore(CliContext context) =>
        new(FileKeyStore.DefaultDirectory(context.HomeDirectory), context.Time);

    private static void CheckName(string name)
    {
        if (!KeyNames.IsValid(name))
        {
            throw CliFailure.Usage($"Invalid key name: names match ^[a-zA-Z0-9_-]+$ and have at most {KeyNames.MaxLength} characters.");
        }
    }

    private static void EnsureAbsent(FileKeyStore store, string name)
    {
        if (File.Exists(store.PrivatePath(name)) || File.Exists(store.PublicPath(name)))
        {
            throw CliFailure.Rejected(KeyErrors.Exists, $"A key named '{name}' already exists in {store.Directory}.");
        }
    }

    private static string NewPassphrase(CliContext context, string name) =>
        Passphrase.ForNew(context, name)
        ?? throw CliFailure.Environment(KeyErrors.PassphraseMissing, "No passphrase: set AGENTTRUST_PASSPHRASE (or SIGNET_PASSPHRASE), run in a terminal, or pass --unencrypted.");

    private static async Task<byte[]> ReadImportFileAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw CliFailure.Environment(KeyErrors.FileNotFound, $"File '{path}' does not exist.");
            }

            if (info.Length > MaxImportBytes)
            {
                throw CliFailure.Rejected(KeyErrors.BadKey, $"File '{path}' is larger than a key can be ({MaxImportBytes} bytes).");
            }

            return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliFailure.Environment(KeyErrors.Io, $"File '{path}' cannot be read: {e.Message}");
        }
    }

    private static async Task<T> Run<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (KeyStoreException e)
        {
            throw KeyErrors.FromStore(e);
        }
    }
}
