namespace AgentTrust.Mcps.Passports;

/// <summary>The revocation status of a passport as reported by its Trust Authority.</summary>
public enum PassportStatusKind
{
    /// <summary>The authority does not know the passport.</summary>
    Unknown = 0,

    /// <summary>Active: not revoked.</summary>
    Active,

    /// <summary>Revoked (MCPS-003).</summary>
    Revoked,

    /// <summary>Expired at the authority.</summary>
    Expired,
}

/// <summary>A status answer: the kind, the current trust level when known, and how long the answer holds.</summary>
/// <param name="Kind">The status.</param>
/// <param name="CurrentTrustLevel">The level currently assigned at the authority, or null.</param>
/// <param name="ValidUntil">Until when the answer may be reused from cache (null: not cacheable).</param>
public sealed record PassportStatus(PassportStatusKind Kind, int? CurrentTrustLevel = null, DateTimeOffset? ValidUntil = null);

/// <summary>Supplies revocation status (a stapled-status cache, a Trust Authority client, or a fixed list in tests).</summary>
public interface IPassportStatusProvider
{
    /// <summary>The status of a passport, or null when none can be obtained (the verifier then applies its <see cref="StatusPolicy"/>).</summary>
    ValueTask<PassportStatus?> GetStatusAsync(string passportId, CancellationToken cancellationToken);
}

/// <summary>Resolves a passport id to the passport's JSON text (a local directory, a cache, or a Trust Authority).</summary>
public interface IPassportResolver
{
    /// <summary>The UTF-8 passport JSON, or null when the passport is unknown.</summary>
    /// <exception cref="PassportResolutionException">The source could not be reached (the verifier fails closed, MCPS-007).</exception>
    ValueTask<ReadOnlyMemory<byte>?> ResolveAsync(string passportId, CancellationToken cancellationToken);
}

/// <summary>Thrown by an <see cref="IPassportResolver"/> when its source is unreachable.</summary>
public sealed class PassportResolutionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PassportResolutionException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public PassportResolutionException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public PassportResolutionException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
