using AgentTrust.Errors;

namespace AgentTrust.TrustAuthority;

/// <summary>The outcome of a Trust Authority call: a value, or the MCPS code and reason of the failure.</summary>
/// <typeparam name="T">The value type.</typeparam>
public sealed class AuthorityResult<T>
    where T : class
{
    private AuthorityResult(T? value, McpsCode? code, string? reason, int httpStatus)
    {
        Value = value;
        Code = code;
        Reason = reason;
        HttpStatus = httpStatus;
    }

    /// <summary>True when <see cref="Value"/> holds a verified answer.</summary>
    public bool IsSuccess => Value is not null;

    /// <summary>The answer; null on failure.</summary>
    public T? Value { get; }

    /// <summary>The MCPS code of the failure (from the authority's problem details, or MCPS-007 when unreachable).</summary>
    public McpsCode? Code { get; }

    /// <summary>The reason string of the failure.</summary>
    public string? Reason { get; }

    /// <summary>The HTTP status of the answer; 0 when no answer arrived.</summary>
    public int HttpStatus { get; }

    /// <summary>A successful result.</summary>
    public static AuthorityResult<T> Success(T value, int httpStatus = 200) => new(value, null, null, httpStatus);

    /// <summary>A failed result.</summary>
    public static AuthorityResult<T> Failure(McpsCode code, string reason, int httpStatus = 0) => new(null, code, reason, httpStatus);
}
