namespace AgentTrust.Authority.Storage;

/// <summary>The one rule both repositories apply to a proposed checkpoint head (receipts.md §7.6).</summary>
internal static class CheckpointRules
{
    public static CheckpointOutcomeKind Decide(CheckpointRecord? current, CheckpointRecord proposed)
    {
        if (current is null)
        {
            return CheckpointOutcomeKind.Accepted;
        }

        if (!string.Equals(current.Submitter, proposed.Submitter, StringComparison.Ordinal))
        {
            return CheckpointOutcomeKind.WrongSubmitter;
        }

        if (proposed.RecordCount < current.RecordCount)
        {
            return CheckpointOutcomeKind.Lower;
        }

        if (proposed.RecordCount == current.RecordCount)
        {
            return string.Equals(current.RecordHash, proposed.RecordHash, StringComparison.Ordinal)
                ? CheckpointOutcomeKind.Unchanged
                : CheckpointOutcomeKind.Conflict;
        }

        return CheckpointOutcomeKind.Accepted;
    }
}
