using AgentTrust.Errors;

namespace AgentTrust.Json;

/// <summary>
/// Why input could not be canonicalised: the MCPS code (<see cref="McpsCode.InputLimitExceeded"/> for bounds,
/// <see cref="McpsCode.NonCanonicalInput"/> for everything JCS cannot represent), a reason from the closed set
/// (<c>too_large</c>, <c>too_deep</c>, <c>invalid_json</c>, <c>duplicate_member</c>, <c>lone_surrogate</c>,
/// <c>invalid_utf8</c>, <c>unsafe_number</c>, <c>non_finite_number</c>), a message and the byte offset where it was found.
/// </summary>
/// <param name="Code">The MCPS code.</param>
/// <param name="Reason">The machine-readable reason.</param>
/// <param name="Message">A human-readable description (never echoes large input).</param>
/// <param name="Offset">The byte offset in the input, or −1 when not applicable.</param>
public sealed record CanonicalJsonError(McpsCode Code, string Reason, string Message, long Offset = -1)
{
    /// <inheritdoc />
    public override string ToString() => Offset >= 0
        ? $"{Code.ToCodeString()} {Reason}: {Message} (at byte {Offset})"
        : $"{Code.ToCodeString()} {Reason}: {Message}";
}

/// <summary>Thrown by the in-memory canonicalisation overloads when a value cannot be represented by JCS.</summary>
public sealed class CanonicalJsonException : Exception
{
    /// <summary>Creates the exception from an error.</summary>
    public CanonicalJsonException(CanonicalJsonError error) : base(error?.ToString())
    {
        Error = error ?? throw new ArgumentNullException(nameof(error));
    }

    /// <summary>Creates the exception (prefer the <see cref="CanonicalJsonError"/> overload).</summary>
    public CanonicalJsonException() : this(new CanonicalJsonError(McpsCode.NonCanonicalInput, "invalid_json", "invalid input"))
    {
    }

    /// <summary>Creates the exception (prefer the <see cref="CanonicalJsonError"/> overload).</summary>
    public CanonicalJsonException(string message) : this(new CanonicalJsonError(McpsCode.NonCanonicalInput, "invalid_json", message))
    {
    }

    /// <summary>Creates the exception (prefer the <see cref="CanonicalJsonError"/> overload).</summary>
    public CanonicalJsonException(string message, Exception innerException) : base(message, innerException)
    {
        Error = new CanonicalJsonError(McpsCode.NonCanonicalInput, "invalid_json", message);
    }

    /// <summary>The error.</summary>
    public CanonicalJsonError Error { get; }
}
