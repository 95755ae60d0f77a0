namespace AgentTrust.Tests.Support;

/// <summary>
/// Tests that need the machine to themselves: a background thread must get a processor within milliseconds while the
/// test floods the code under test. They run after the parallel tests, one at a time.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitiveCollection
{
    /// <summary>The collection's name, for <see cref="CollectionAttribute"/>.</summary>
    public const string Name = "Timing-sensitive";
}
