using System.Text.Json.Nodes;
using AgentTrust.Cli.Commands.Receipts;
using AgentTrust.Cryptography;
using AgentTrust.Receipts;

namespace AgentTrust.Cli.Commands;

/// <summary>
/// The Trust Authority anchor keys the audit commands trust: <c>--authority-key</c> when given, else the key pinned for
/// that URL in <c>AGENTTRUST_HOME/pinned-authorities.json</c> (written on first contact, trust on first use). The pin
/// lives in the user's home, not in the log directory, so whoever can edit the log cannot replace it.
/// </summary>
internal static class AuthorityAnchorPins
{
    private const string FileName = "pinned-authorities.json";

    /// <summary>The pinned anchor key for <paramref name="authority"/>, or null when none is pinned yet.</summary>
    public static async Task<VerificationKey?> ResolveAsync(CliContext context, Uri authority, string? explicitKey, CancellationToken cancellationToken)
    {
        if (explicitKey is not null)
        {
            return Parse(await ReceiptKeys.ResolvePublicKeyAsync(context, explicitKey, cancellationToken).ConfigureAwait(false));
        }

        var pins = await ReadAsync(context, cancellationToken).ConfigureAwait(false);
        return pins[authority.AbsoluteUri] is JsonValue value && value.TryGetValue(out string? text) ? Parse(text) : null;
    }

    /// <summary>Every pinned anchor key (the default keys 'audit verify' accepts anchors from).</summary>
    public static async Task<IReadOnlyList<VerificationKey>> AllAsync(CliContext context, CancellationToken cancellationToken)
    {
        var pins = await ReadAsync(context, cancellationToken).ConfigureAwait(false);
        return [.. pins.Select(p => p.Value is JsonValue value && value.TryGetValue(out string? text) && ReceiptEncoding.TryParsePublicKey(text, out var key) ? key : null).OfType<VerificationKey>()];
    }

    /// <summary>
    /// Pins <paramref name="key"/> for <paramref name="authority"/> (first contact). The file is re-read and updated under
    /// a lock and replaced atomically, so concurrent pins of other authorities are kept; a pin another process wrote for
    /// the same URL meanwhile is kept too (the first pin wins).
    /// </summary>
    public static Task PinAsync(CliContext context, Uri authority, VerificationKey key, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var path = Path.Combine(context.HomeDirectory, FileName);
        var text = ReceiptEncoding.FormatPublicKey(key);
        HomeJsonFile.Update(path, pins => pins.TryAdd(authority.AbsoluteUri, text));
        return context.Error.WriteLineAsync($"Pinned the anchor key of {authority.AbsoluteUri}: {text} (in {path}).");
    }

    private static VerificationKey Parse(string text) =>
        ReceiptEncoding.TryParsePublicKey(text, out var key) ? key! : throw CliFailure.Usage("--authority-key: not an ed25519: key.");

    private static Task<JsonObject> ReadAsync(CliContext context, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(HomeJsonFile.Read(Path.Combine(context.HomeDirectory, FileName)));
    }
}
