using AgentTrust.Cli;
using AgentTrust.Cli.Commands;
using AgentTrust.Cryptography;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Audit;

/// <summary>AGENTTRUST_HOME/pinned-authorities.json under concurrent first contacts: no pin is lost, no update throws.</summary>
public sealed class AuditAuthorityPinFileTests : IDisposable
{
    private readonly TemporaryDirectory _home = new("agenttrust-pins-");

    public void Dispose() => _home.Dispose();

    private CliContext Context() => new()
    {
        StandardInput = Stream.Null,
        Out = TextWriter.Null,
        Error = TextWriter.Null,
        GetEnvironmentVariable = name => name == "AGENTTRUST_HOME" ? _home.Path : null,
    };

    [Fact]
    public async Task Concurrent_pins_of_different_authorities_are_all_kept()
    {
        const int Authorities = 16;
        var keys = Enumerable.Range(0, Authorities).Select(_ => SigningKey.Generate(SignatureAlgorithm.EdDSA)).ToArray();
        try
        {
            using var start = new ManualResetEventSlim();
            var pins = keys.Select((key, i) => Task.Run(async () =>
            {
                start.Wait();
                await AuthorityAnchorPins.PinAsync(Context(), new Uri($"http://127.0.0.1:{9000 + i}/"), key.PublicKey, CancellationToken.None);
            })).ToArray();
            start.Set();
            await Task.WhenAll(pins);

            for (var i = 0; i < Authorities; i++)
            {
                var pinned = await AuthorityAnchorPins.ResolveAsync(Context(), new Uri($"http://127.0.0.1:{9000 + i}/"), null, CancellationToken.None);
                Assert.NotNull(pinned);
                Assert.Equal(keys[i].PublicKey, pinned);
            }

            Assert.Empty(Directory.GetFiles(_home.Path, "*.tmp"));
        }
        finally
        {
            foreach (var key in keys)
            {
                key.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_second_pin_for_the_same_authority_does_not_replace_the_first()
    {
        using var first = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        using var second = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        var url = new Uri("http://127.0.0.1:9100/");
        await AuthorityAnchorPins.PinAsync(Context(), url, first.PublicKey, CancellationToken.None);
        await AuthorityAnchorPins.PinAsync(Context(), url, second.PublicKey, CancellationToken.None);
        var pinned = await AuthorityAnchorPins.ResolveAsync(Context(), url, null, CancellationToken.None);
        Assert.Equal(first.PublicKey, pinned);
    }
}
