using System.Security.Cryptography;
using AgentTrust.Errors;
using AgentTrust.Mcps;
using AgentTrust.Mcps.Tools;

namespace AgentTrust.Gateway.Pinning;

/// <summary>
/// The agent side's pin of the server gateway's passport: only countersignatures by that passport <b>and its key</b>
/// are accepted. Passport ids are not derived from keys (anyone can write a self-issued passport with any id), so the
/// pin is the pair (passport id, RFC 7638 thumbprint of the signing key). The passport id is either given
/// (<c>--server-passport ID</c>, its key then pinned on first use) or pinned on first use together with its key, in the
/// tool pin store (and so in the <c>--pins</c> file, under the key <c>server-passport:&lt;server identity&gt;</c>), and
/// never replaced silently: another gateway answering in its place (another key, a passport copying the id) is refused
/// until the operator removes the pin or names the new passport.
/// </summary>
public sealed class ServerPassportPin
{
    private const string PinName = "passport";
    private readonly IToolPinStore _store;
    private readonly string _key;
    private readonly string? _expected;
    private readonly TimeProvider _time;
    private Pinned? _accepted;

    /// <summary>Creates the pin.</summary>
    /// <param name="store">Where a first-use pin is kept (the tool pin store).</param>
    /// <param name="serverIdentity">The server identity (command line or URL) the pin belongs to.</param>
    /// <param name="expectedPassportId">The configured server passport, or null to pin on first use.</param>
    /// <param name="time">The clock of the pin date.</param>
    public ServerPassportPin(IToolPinStore store, string serverIdentity, string? expectedPassportId = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(serverIdentity);
        if (expectedPassportId is not null && !McpsIdentifiers.IsPassportId(expectedPassportId))
        {
            throw new ArgumentException("A passport id is asp_ followed by 32 lowercase hex characters.", nameof(expectedPassportId));
        }

        _store = store;
        _key = "server-passport:" + serverIdentity;
        _expected = expectedPassportId;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Checks the verified signer of a server-side message: <c>(null, null)</c> when it is the pinned server passport
    /// and key (pinning them when none is yet), else MCPS-011 <c>server_passport_mismatch</c> and the pinned passport id.
    /// </summary>
    /// <param name="passportId">The verified signer's passport id.</param>
    /// <param name="thumbprint">The RFC 7638 thumbprint of the key the message was verified with.</param>
    /// <param name="cancellationToken">Cancels the store access.</param>
    public async ValueTask<(McpsFailure? Failure, string? Expected)> CheckAsync(string passportId, string thumbprint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(passportId);
        ArgumentNullException.ThrowIfNull(thumbprint);
        var mismatch = new McpsFailure(McpsCode.OriginMismatch, McpsReasons.ServerPassportMismatch);
        if (_expected is not null && !string.Equals(_expected, passportId, StringComparison.Ordinal))
        {
            return (mismatch, _expected);
        }

        var pinned = Volatile.Read(ref _accepted);
        if (pinned is null)
        {
            var pins = await _store.GetAsync(_key, cancellationToken).ConfigureAwait(false);
            if (!pins.TryGetValue(PinName, out var pin))
            {
                // The first countersigner (of the configured passport, when one is configured) pins its key with it.
                _ = await _store.TryAddAsync(new ToolPin(_key, PinName, Hash(thumbprint), passportId, _time.GetUtcNow()), cancellationToken).ConfigureAwait(false);

                // Whoever pinned first (this call, another connection or process) is what counts.
                pin = (await _store.GetAsync(_key, cancellationToken).ConfigureAwait(false))[PinName];
            }

            pinned = new Pinned(pin.SignerPassportId ?? "", pin.ToolHash);
            Volatile.Write(ref _accepted, pinned);
        }

        return string.Equals(pinned.PassportId, passportId, StringComparison.Ordinal) && CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.ASCII.GetBytes(pinned.KeyHash), System.Text.Encoding.ASCII.GetBytes(Hash(thumbprint)))
            ? (null, null)
            : (mismatch, pinned.PassportId);
    }

    // The pin store holds SHA-256 hex values; the key is pinned as the hash of its thumbprint.
    private static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(value)));

    private sealed record Pinned(string PassportId, string KeyHash);
}
