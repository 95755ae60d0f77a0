using AgentTrust.Gateway;
using AgentTrust.Gateway.Configuration;
using AgentTrust.Gateway.Identity;
using AgentTrust.Gateway.Pipeline;
using AgentTrust.Gateway.Signing;
using AgentTrust.KeyStore;
using AgentTrust.Replay;
using AgentTrust.Tests.Gateway.Support;

namespace AgentTrust.Tests.Gateway;

/// <summary>
/// An answer's countersignature names the hash of the request body it answers, and two identical requests (the same
/// tool, the same arguments, the same id) have the same body: the reply binding alone would let a captured answer be
/// delivered again to the next identical request, as a stale result. The agent side therefore registers answers'
/// nonces in the replay store shared by its processes, like everything else the server side sends.
/// </summary>
public sealed class AgentSideAnswerReplayTests : IDisposable
{
    private const string Server = "node server.js";
    private readonly ScratchDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    private Task<GatewayIdentity> IdentityAsync(string name) =>
        GatewayIdentity.LoadOrCreateAsync(new FileKeyStore(_scratch.File("keys-" + name)), name, _scratch.File(name + ".passport.json"), () => null, TimeProvider.System);

    private static byte[] Bytes(string json) => System.Text.Encoding.UTF8.GetBytes(json);

    [Fact]
    public async Task A_captured_answer_delivered_to_an_identical_request_is_refused_in_this_process_and_in_another()
    {
        using var agent = await IdentityAsync("agent");
        using var gateway = await IdentityAsync("gateway");
        var shared = new InMemoryReplayStore();
        RelayPipeline AgentSide() => new(GatewayPipelineFactory.CreateAgentSide(new GatewayOptions { DisablePins = true }, Server, agent, null, null, TimeProvider.System, shared));
        var first = AgentSide();
        var serverSide = new RelayPipeline([new CountersignStage(gateway)]);

        var request = await first.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":7,"method":"ping"}"""), RelayDirection.ClientToServer);
        await serverSide.ProcessAsync(request.ToRecipient!.Value.ToArray(), RelayDirection.ClientToServer);
        var answer = (await serverSide.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":7,"result":{}}"""), RelayDirection.ServerToClient)).ToRecipient!.Value.ToArray();
        Assert.Null((await first.ProcessAsync(answer, RelayDirection.ServerToClient)).Rejection);

        // The same request asked again, here and in another agent-side process sharing the store: the captured answer
        // matches its body hash, and only the shared nonce store stops it.
        foreach (var side in new[] { first, AgentSide() })
        {
            await side.ProcessAsync(Bytes("""{"jsonrpc":"2.0","id":7,"method":"ping"}"""), RelayDirection.ClientToServer);
            var replayed = await side.ProcessAsync(answer, RelayDirection.ServerToClient);
            Assert.Equal("replay", replayed.Rejection?.Reason);
        }

        // And with nothing pending it answers nothing.
        Assert.Equal("unmatched_response", (await first.ProcessAsync(answer, RelayDirection.ServerToClient)).Rejection?.Reason);
    }
}
