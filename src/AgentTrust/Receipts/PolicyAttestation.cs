namespace AgentTrust.Receipts;

/// <summary>The policy decision attested inside a v1 receipt (receipts.md §4.1); every member is always written.</summary>
/// <param name="PolicyHash">The <c>sha256:</c> hash of the policy.</param>
/// <param name="PolicyName">The policy name.</param>
/// <param name="MatchedRules">The rules that matched.</param>
/// <param name="Decision"><c>allow</c>, <c>deny</c> or <c>require_approval</c>.</param>
/// <param name="Reason">The reason ("" when none).</param>
public sealed record PolicyAttestation(string PolicyHash, string PolicyName, IReadOnlyList<string> MatchedRules, string Decision, string Reason);
