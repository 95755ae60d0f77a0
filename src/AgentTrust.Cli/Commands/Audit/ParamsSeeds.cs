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
                // Refuses a key that is not Ed25519 (AT-KEY-UNSUPPORTED) before any private byte is exported.
                var (key, _) = await ReceiptKeys.OpenSigningKeyAsync(context, name, cancellationToken).ConfigureAwait(false);
                using (key)
                {
                    var kid = ReceiptEncoding.FormatPublicKey(key.PublicKey);
                    if (seeds._seeds.ContainsKey(kid))
                    {
                        continue; // the same key named twice: its seed is already held (and will be zeroed)
                    }

                    var seed = new byte[AgentTrust.Cryptography.SigningKey.PrivateKeySize];
                    try
                    {
                        key.ExportPrivateKey(seed);
                        seeds._seeds.Add(kid, seed);
                    }
                    catch
                    {
                        CryptographicOperations.ZeroMemory(seed);
                        throw;
                    }
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
