using System.Text;
using System.Text.Json;
using AgentTrust.Cryptography;
using AgentTrust.Keys;
using AgentTrust.KeyStore;

namespace AgentTrust.Cli.Commands.Keys;

/// <summary>Human and JSON output of the key commands. Only public material is ever written.</summary>
internal static class KeyOutput
{
    public static async Task WriteCreatedAsync(CliContext context, FileKeyStore store, StoredKey key, string verb, bool json)
    {
        if (json)
        {
            await WriteJsonAsync(context, writer => WriteKey(writer, store, key, includePem: false)).ConfigureAwait(false);
            return;
        }

        var protection = !key.HasPrivateKey ? "public key only" : key.IsEncrypted ? "encrypted" : "UNENCRYPTED";
        var text = new StringBuilder()
            .AppendLine(FormattableString.Invariant($"Key '{key.Name}' {verb} ({Label(key.Algorithm)}, {protection})."))
            .AppendLine(FormattableString.Invariant($"  kid (RFC 7638 thumbprint): {key.PublicKey.Thumbprint}"))
            .AppendLine(FormattableString.Invariant($"  public key file: {store.PublicPath(key.Name)}"));
        if (key.HasPrivateKey)
        {
            text.AppendLine(FormattableString.Invariant($"  private key file: {store.PrivatePath(key.Name)}"));
        }

        await context.Out.WriteAsync(text.ToString()).ConfigureAwait(false);
    }

    public static async Task WriteListAsync(CliContext context, FileKeyStore store, KeyStoreListing listing, bool json)
    {
        var keys = listing.Keys;
        if (json)
        {
            await WriteJsonAsync(context, writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("directory", store.Directory);
                writer.WriteStartArray("keys");
                foreach (var key in keys)
                {
                    WriteKey(writer, store, key, includePem: false);
                }

                writer.WriteEndArray();
                writer.WriteStartArray("problems");
                foreach (var problem in listing.Problems)
                {
                    writer.WriteStartObject();
                    writer.WriteString("name", problem.Name);
                    writer.WriteString("error", problem.Error.ToString());
                    writer.WriteString("format_error", problem.FormatError.ToString());
                    writer.WriteString("message", problem.Message);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }).ConfigureAwait(false);
            return;
        }

        if (keys.Count == 0 && listing.Problems.Count == 0)
        {
            await context.Out.WriteLineAsync(FormattableString.Invariant($"No keys in {store.Directory}.")).ConfigureAwait(false);
            return;
        }

        var width = Math.Max(4, keys.Max(k => k.Name.Length));
        var text = new StringBuilder();
        text.AppendLine(FormattableString.Invariant($"{"NAME".PadRight(width)}  ALG      PRIVATE      KID"));
        foreach (var key in keys)
        {
            var privateState = !key.HasPrivateKey ? "no" : key.IsEncrypted ? "encrypted" : "UNENCRYPTED";
            text.AppendLine(FormattableString.Invariant($"{key.Name.PadRight(width)}  {Label(key.Algorithm),-7}  {privateState,-11}  {key.PublicKey.Thumbprint}"));
        }

        await context.Out.WriteAsync(text.ToString()).ConfigureAwait(false);
    }

    public static async Task WriteShowAsync(CliContext context, FileKeyStore store, StoredKey key, bool json)
    {
        if (json)
        {
            await WriteJsonAsync(context, writer => WriteKey(writer, store, key, includePem: true)).ConfigureAwait(false);
            return;
        }

        var jwk = PublicJwk(key);
        var text = new StringBuilder()
            .AppendLine(FormattableString.Invariant($"name:        {key.Name}"))
            .AppendLine(FormattableString.Invariant($"algorithm:   {key.Algorithm.ToIdentifier()} ({Label(key.Algorithm)})"))
            .AppendLine(FormattableString.Invariant($"kid:         {key.PublicKey.Thumbprint}"))
            .AppendLine(FormattableString.Invariant($"private key: {(!key.HasPrivateKey ? "none" : key.IsEncrypted ? "encrypted" : "UNENCRYPTED")}"))
            .AppendLine(FormattableString.Invariant($"created_at:  {key.CreatedAt}"));
        if (key.Owner is not null)
        {
            text.AppendLine(FormattableString.Invariant($"owner:       {key.Owner}"));
        }

        if (key.Algorithm == SignatureAlgorithm.EdDSA)
        {
            text.AppendLine(FormattableString.Invariant($"signet:      {KeyImport.FormatEd25519PublicKeyText(key.PublicKey)}"));
        }

        text.AppendLine(FormattableString.Invariant($"jwk:         {jwk.ToJson()}"));
        text.Append(PemKeys.ExportPublicKeyPem(key.PublicKey));
        await context.Out.WriteAsync(text.ToString()).ConfigureAwait(false);
    }

    private static JsonWebKey PublicJwk(StoredKey key) =>
        key.PublicKey.ToJsonWebKey().With(kid: key.PublicKey.Thumbprint, alg: key.Algorithm.ToIdentifier(), use: "sig");

    private static string Label(SignatureAlgorithm algorithm) => SignetKeyFile.LabelOf(algorithm);

    private static void WriteKey(Utf8JsonWriter writer, FileKeyStore store, StoredKey key, bool includePem)
    {
        writer.WriteStartObject();
        writer.WriteString("name", key.Name);
        writer.WriteString("algorithm", key.Algorithm.ToIdentifier());
        writer.WriteString("kid", key.PublicKey.Thumbprint);
        writer.WriteBoolean("has_private_key", key.HasPrivateKey);
        writer.WriteBoolean("encrypted", key.IsEncrypted);
        writer.WriteString("created_at", key.CreatedAt);
        if (key.Owner is not null)
        {
            writer.WriteString("owner", key.Owner);
        }

        writer.WriteString("public_key_file", store.PublicPath(key.Name));
        if (key.HasPrivateKey)
        {
            writer.WriteString("private_key_file", store.PrivatePath(key.Name));
        }

        if (key.Algorithm == SignatureAlgorithm.EdDSA)
        {
            writer.WriteString("signet_public_key", KeyImport.FormatEd25519PublicKeyText(key.PublicKey));
        }

        writer.WritePropertyName("jwk");
        PublicJwk(key).WriteTo(writer);
        if (includePem)
        {
            writer.WriteString("pem", PemKeys.ExportPublicKeyPem(key.PublicKey));
        }

        writer.WriteEndObject();
    }

    private static async Task WriteJsonAsync(CliContext context, Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            write(writer);
        }

        await context.Out.WriteLineAsync(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan)).ConfigureAwait(false);
    }
}
