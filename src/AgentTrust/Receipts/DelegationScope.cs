namespace AgentTrust.Receipts;

/// <summary>
/// What a delegation token allows (receipts.md §4.4): tools and targets (<c>["*"]</c> for any, never mixed),
/// how many further delegations may follow, and an optional RFC 3339 expiry (signed as the literal string).
/// </summary>
/// <param name="Tools">The allowed tools, or <c>["*"]</c>.</param>
/// <param name="Targets">The allowed targets, or <c>["*"]</c>.</param>
/// <param name="MaxDepth">The number of further delegations allowed below this token.</param>
public sealed record DelegationScope(IReadOnlyList<string> Tools, IReadOnlyList<string> Targets, uint MaxDepth)
{
    /// <summary>The expiry, RFC 3339 (e.g. <c>2027-12-31T23:59:59Z</c>), or null.</summary>
    public string? Expires { get; init; }
}
