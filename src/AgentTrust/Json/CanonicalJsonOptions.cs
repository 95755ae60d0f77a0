namespace AgentTrust.Json;

/// <summary>How numbers are admitted by the canonicaliser beyond RFC 8785's own rules.</summary>
public enum JsonNumberProfile
{
    /// <summary>
    /// RFC 8785 exactly: every number literal is parsed to its nearest double and printed with ECMAScript
    /// <c>Number::toString</c>; only literals that overflow a double are rejected.
    /// </summary>
    Rfc8785 = 0,

    /// <summary>
    /// The strict input profile used by every verifier of signed content (mcps.md §2): additionally rejects an
    /// integer literal (no fraction, no exponent) whose value a double cannot hold exactly (reason <c>unsafe_number</c>).
    /// </summary>
    ExactIntegers = 1,

    /// <summary>
    /// The Signet receipt rule (receipts.md §2): additionally rejects integer literals with
    /// 2^53 ≤ n ≤ 2^64−1 or −2^63 ≤ n ≤ −2^53 (reason <c>unsafe_number</c>).
    /// </summary>
    Signet = 2,
}

/// <summary>Bounds and profile of canonicalisation. Bounds are checked before any parsing work.</summary>
public sealed record CanonicalJsonOptions
{
    /// <summary>The hard cap on <see cref="MaxInputBytes"/>: 64 MiB.</summary>
    public const int HardMaxInputBytes = 64 * 1024 * 1024;

    /// <summary>Plain RFC 8785 with the default bounds (4 MiB, depth 64).</summary>
    public static CanonicalJsonOptions Default { get; } = new();

    /// <summary>The strict input profile for verifiers of signed content: <see cref="JsonNumberProfile.ExactIntegers"/>.</summary>
    public static CanonicalJsonOptions Strict { get; } = new() { Numbers = JsonNumberProfile.ExactIntegers };

    /// <summary>The Signet receipt profile: <see cref="JsonNumberProfile.Signet"/>.</summary>
    public static CanonicalJsonOptions Signet { get; } = new() { Numbers = JsonNumberProfile.Signet };

    /// <summary>Maximum input size in bytes (default 4 MiB; at most <see cref="HardMaxInputBytes"/>).</summary>
    public int MaxInputBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Maximum nesting depth of arrays and objects (default 64).</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>The number profile (default <see cref="JsonNumberProfile.Rfc8785"/>).</summary>
    public JsonNumberProfile Numbers { get; init; } = JsonNumberProfile.Rfc8785;
}
