using AgentTrust.Errors;

namespace AgentTrust.Json.Canonical;

/// <summary>The closed set of rejection reasons and the MCPS code each maps to.</summary>
internal static class JcsErrors
{
    public const string TooLarge = "too_large";
    public const string TooDeep = "too_deep";
    public const string InvalidJson = "invalid_json";
    public const string DuplicateMember = "duplicate_member";
    public const string LoneSurrogate = "lone_surrogate";
    public const string InvalidUtf8 = "invalid_utf8";
    public const string UnsafeNumber = "unsafe_number";
    public const string NonFiniteNumber = "non_finite_number";

    public static CanonicalJsonError Create(string reason, string message, long offset = -1)
    {
        var code = reason is TooLarge or TooDeep ? McpsCode.InputLimitExceeded : McpsCode.NonCanonicalInput;
        return new CanonicalJsonError(code, reason, message, offset);
    }
}
