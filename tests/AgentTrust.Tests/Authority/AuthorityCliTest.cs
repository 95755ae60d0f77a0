using AgentTrust.Cli;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.Authority;

/// <summary>
/// A real Trust Authority (in process, on loopback) and an <c>AGENTTRUST_HOME</c> of its own, for tests that run
/// <c>agenttrust</c> commands against it.
/// </summary>
public abstract class AuthorityCliTest : IAsyncLifetime
{
    private protected AuthorityCliTest(string homePrefix) => Home = new TemporaryDirectory(homePrefix);

    private protected TemporaryDirectory Home { get; }

    private protected AuthorityTestHost TaHost { get; private set; } = null!;

    private protected string Url => TaHost.Server.BaseAddress.ToString();

    /// <inheritdoc />
    public async Task InitializeAsync() => TaHost = await AuthorityTestHost.StartAsync();

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        await TaHost.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Home.Dispose();
    }

    /// <summary>Runs <c>agenttrust</c> with the authority's clock, <c>AGENTTRUST_HOME</c> and <paramref name="env"/>.</summary>
    private protected async Task<(int Exit, string Out, string Error)> RunCliAsync(string[] args, IReadOnlyDictionary<string, string>? env = null, TextWriter? output = null, CancellationToken cancellationToken = default)
    {
        var variables = new Dictionary<string, string>(env ?? new Dictionary<string, string>(), StringComparer.Ordinal) { ["AGENTTRUST_HOME"] = Home.Path };
        var stdout = output ?? new StringWriter();
        using var error = new StringWriter();
        var context = new CliContext
        {
            StandardInput = Stream.Null,
            Out = stdout,
            Error = error,
            GetEnvironmentVariable = name => variables.GetValueOrDefault(name),
            Time = TaHost.Clock,
        };
        var exit = await CliApplication.RunAsync(args, context, cancellationToken);
        return (exit, stdout.ToString()!, error.ToString());
    }
}
