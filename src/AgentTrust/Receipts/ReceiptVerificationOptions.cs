namespace AgentTrust.Receipts;

/// <summary>What a <see cref="ReceiptVerifier"/> checks (receipts.md §5.2).</summary>
public sealed record ReceiptVerificationOptions
{
    /// <summary>Live (default) or forensic.</summary>
    public ReceiptVerificationMode Mode { get; init; } = ReceiptVerificationMode.Live;

    /// <summary>The version the caller expects. Required in live mode (no silent cross-version dispatch); optional in forensic mode.</summary>
    public int? ExpectedVersion { get; init; }

    /// <summary>Live: the oldest acceptable <c>ts</c> is now minus this (default 300 s).</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>Live: how far <c>ts</c> may be ahead of now (default 30 s).</summary>
    public TimeSpan FutureSkew { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Live v3: the largest distance between the agent's <c>ts</c> and the server's <c>ts_response</c> (default 300 s).</summary>
    public TimeSpan BilateralWindow { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>v3: the session the agent receipt must carry (a missing one compares as "").</summary>
    public string? ExpectedSession { get; init; }

    /// <summary>v3: the call id the agent receipt must carry (a missing one compares as "").</summary>
    public string? ExpectedCallId { get; init; }

    /// <summary>Forensic only: report members no version defines as warnings instead of failing (<c>--compat</c>).</summary>
    public bool ReportUnknownMembers { get; init; }

    /// <summary>
    /// Forensic v4: the time of an audit anchor that covers the receipt. Without one made before every token expired,
    /// the verdict is <see cref="ReceiptTrustLevel.Unanchored"/>.
    /// </summary>
    public DateTimeOffset? AnchoredAt { get; init; }

    /// <summary>Live verification of a receipt of <paramref name="version"/>.</summary>
    public static ReceiptVerificationOptions Live(int version) => new() { Mode = ReceiptVerificationMode.Live, ExpectedVersion = version };

    /// <summary>Forensic verification of any version.</summary>
    public static ReceiptVerificationOptions Forensic { get; } = new() { Mode = ReceiptVerificationMode.Forensic };
}
