namespace AgentTrust.Authority.Storage;

/// <summary>Opens the repository named by a <c>--db</c> value: <c>sqlite:PATH</c> or <c>postgres:CONNSTR</c>.</summary>
public static class AuthorityDatabase
{
    /// <summary>The default SQLite file under the AgentTrust home.</summary>
    public static string DefaultSqlitePath(string home) => Path.Combine(home, "authority", "authority.db");

    /// <summary>Creates the repository for <paramref name="spec"/>; null means SQLite under <paramref name="home"/>.</summary>
    /// <exception cref="ArgumentException">The value names no supported engine.</exception>
    public static IAuthorityRepository Open(string? spec, string home)
    {
        if (string.IsNullOrEmpty(spec))
        {
            return new SqliteAuthorityRepository(DefaultSqlitePath(home));
        }

        if (spec.StartsWith("sqlite:", StringComparison.Ordinal) && spec.Length > "sqlite:".Length)
        {
            return new SqliteAuthorityRepository(spec["sqlite:".Length..]);
        }

        if (spec.StartsWith("postgres:", StringComparison.Ordinal) && spec.Length > "postgres:".Length)
        {
            return new PostgresAuthorityRepository(spec["postgres:".Length..]);
        }

        throw new ArgumentException("--db must be sqlite:PATH or postgres:CONNECTION-STRING.", nameof(spec));
    }
}
