using System.Security.Cryptography;
using AgentTrust.Cli.Commands.Receipts;
using AgentTrust.Receipts;

namespace AgentTrust.Cli.Commands;

/// <summary>
/// The seeds of local signers whose Signet encrypted params (receipts.md §7.7) <c>audit verify --params-key</c> may
/// decrypt, by <c>ed25519:</c> key. Each lookup returns a copy (the verifier zeroes it); disposing zeroes the originals.
/// </summary>
internal sealed class ParamsSeeds : IDisposable
{
    private readonly Dictionary<string, byte[]> _seeds = new(StringComparer.Ordinal);

    private ParamsSeeds()
    {
    }

    public static async Task<ParamsSeeds> OpenAsync(CliContext context, IEnumerable<string> keyNames, CancellationToken cancellationToken)
    {
        var seeds = new ParamsSeeds();
        try
        {
            foreach (var name in keyNames)
            {
                var (key, _) = await ReceiptKeys.OpenSigningKeyAsync(context, name, cancellationToken).ConfigureAwait(false);
                using (key)
                {
                    var seed = new byte[AgentTrust.Cryptography.SigningKey.PrivateKeySize];
                    key.ExportPrivateKey(seed);
                    seeds._seeds[ReceiptEncoding.FormatPublicKey(key.PublicKey)] = seed;
                }
            }

            return seeds;
        }
        catch
        {
            seeds.Dispose();
            throw;
        }
    }

    /// <summary>A copy of the seed of <paramref name="kid"/>, or null.</summary>
    public byte[]? Resolve(string kid) => _seeds.TryGetValue(kid, out var seed) ? (byte[])seed.Clone() : null;

    public void Dispose()
    {
        foreach (var seed in _seeds.Values)
        {
            CryptographicOperations.ZeroMemory(seed);
        }

        _seeds.Clear();
    }
}
