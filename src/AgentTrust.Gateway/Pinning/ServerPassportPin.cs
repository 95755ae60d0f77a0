using System.Security.Cryptography;
using AgentTrust.Errors;
using AgentTrust.Mcps;
using AgentTrust.Mcps.Tools;

namespace AgentTrust.Gateway.Pinning;

/// <summary>
/// The agent side's pin of the server gateway's passport: only countersignatures by that passport are accepted. The
/// passport is either given (<c>--server-passport ID</c>) or pinned on first use, in the tool pin store (and so in the
/// <c>--pins</c> file, under the key <c>server-passport:&lt;server identity&gt;</c>), and never replaced silently: another
/// gateway answering in its place (another key, a re-issued identity) is refused until the operator removes the pin or
/// names the new passport.
/// </summary>
public sealed class ServerPassportPin
{
    private const string PinName = "passport";
    private readonly IToolPinStore _store;
    private readonly string _key;
    private readonly string? _expected;
    private readonly TimeProvider _time;
    private string? _accepted;

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
    /// (pinning it when none is yet), else MCPS-011 <c>server_passport_mismatch</c> and the pinned passport id.
    /// </summary>
    /// <param name="passportId">The verified signer of a server-side message.</param>
    /// <param name="cancellationToken">Cancels the store access.</param>
    public async ValueTask<(McpsFailure? Failure, string? Expected)> CheckAsync(string passportId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(passportId);
        var pinned = _expected ?? Volatile.Read(ref _accepted);
        if (pinned is null)
        {
            var pins = await _store.GetAsync(_key, cancellationToken).ConfigureAwait(false);
            if (pins.TryGetValue(PinName, out var pin))
            {
                pinned = pin.SignerPassportId;
            }
            else if (await _store.TryAddAsync(new ToolPin(_key, PinName, Hash(passportId), passportId, _time.GetUtcNow()), cancellationToken).ConfigureAwait(false))
            {
                pinned = passportId;
            }
            else
            {
                // Another connection or process pinned first: compare with its pin.
                pinned = (await _store.GetAsync(_key, cancellationToken).ConfigureAwait(false))[PinName].SignerPassportId;
            }

            Volatile.Write(ref _accepted, pinned);
        }

        return string.Equals(pinned, passportId, StringComparison.Ordinal)
            ? (null, null)
            : (new McpsFailure(McpsCode.OriginMismatch, McpsReasons.ServerPassportMismatch), pinned);
    }

    private static string Hash(string passportId) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(passportId)));
}
