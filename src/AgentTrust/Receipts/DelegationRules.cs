namespace AgentTrust.Receipts;

/// <summary>Delegation scope rules (receipts.md §4.4): well-formed scopes and narrowing between neighbours.</summary>
internal static class DelegationRules
{
    /// <summary>Creation rules; returns null when the scope is acceptable, else the problem.</summary>
    public static string? CheckScope(IReadOnlyList<string> tools, IReadOnlyList<string> targets, string? expires)
    {
        if (tools is null || targets is null || tools.Count == 0 || targets.Count == 0)
        {
            return "tools and targets must be non-empty";
        }

        if (Mixed(tools) || Mixed(targets))
        {
            return "\"*\" cannot be mixed with explicit values";
        }

        if (tools.Any(string.IsNullOrEmpty) || targets.Any(string.IsNullOrEmpty))
        {
            return "empty tool or target";
        }

        return expires is not null && !ReceiptEncoding.TryParseTimestamp(expires, out _) ? "expires is not RFC 3339" : null;
    }

    /// <summary>True when the child scope is no wider than the parent's.</summary>
    public static bool Narrows(IReadOnlyList<string> parentTools, IReadOnlyList<string> parentTargets, uint parentDepth, DateTimeOffset? parentExpires,
        IReadOnlyList<string> childTools, IReadOnlyList<string> childTargets, uint childDepth, DateTimeOffset? childExpires)
    {
        if (!Subset(parentTools, childTools) || !Subset(parentTargets, childTargets))
        {
            return false;
        }

        if (parentDepth > 0 && childDepth >= parentDepth)
        {
            return false;
        }

        return parentExpires is not { } pe || (childExpires is { } ce && ce <= pe);
    }

    /// <summary>True when <paramref name="value"/> is allowed by the list (or the list is <c>["*"]</c>).</summary>
    public static bool Allows(IReadOnlyList<string> allowed, string value) => IsWildcard(allowed) || allowed.Contains(value, StringComparer.Ordinal);

    private static bool Subset(IReadOnlyList<string> parent, IReadOnlyList<string> child)
        => IsWildcard(parent) || (!IsWildcard(child) && child.All(c => parent.Contains(c, StringComparer.Ordinal)));

    private static bool IsWildcard(IReadOnlyList<string> list) => list.Count == 1 && list[0] == "*";

    private static bool Mixed(IReadOnlyList<string> list) => list.Count > 1 && list.Contains("*", StringComparer.Ordinal);
}
