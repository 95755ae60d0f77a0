namespace AgentTrust.Receipts;

/// <summary>The outcome a server attests in a v3 receipt (receipts.md §4.3).</summary>
/// <param name="Status"><c>verified</c>, <c>rejected</c>, <c>requires_approval</c>, <c>executed</c> or <c>failed</c>.</param>
public sealed record ResponseOutcome(string Status)
{
    /// <summary>The reason, for <c>rejected</c> and <c>requires_approval</c>.</summary>
    public string? Reason { get; init; }

    /// <summary>The error, for <c>failed</c>.</summary>
    public string? Error { get; init; }

    /// <summary>The call was executed.</summary>
    public static ResponseOutcome Executed { get; } = new("executed");

    /// <summary>The call failed.</summary>
    public static ResponseOutcome Failed(string error) => new("failed") { Error = error };

    /// <summary>The call was rejected (a denial).</summary>
    public static ResponseOutcome Rejected(string reason) => new("rejected") { Reason = reason };

    /// <summary>The call needs approval (a denial until approved).</summary>
    public static ResponseOutcome RequiresApproval(string reason) => new("requires_approval") { Reason = reason };

    internal static bool IsKnownStatus(string status)
        => status is "verified" or "rejected" or "requires_approval" or "executed" or "failed";
}
