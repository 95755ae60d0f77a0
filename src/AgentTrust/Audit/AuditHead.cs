namespace AgentTrust.Audit;

/// <summary>The head of a chain: its id (the first record's hash), how many records it holds, and the last record's hash.</summary>
/// <param name="LogId">The <c>record_hash</c> of record 1, or null for an empty log.</param>
/// <param name="RecordCount">The number of records.</param>
/// <param name="RecordHash">The last <c>record_hash</c> (the genesis hash for an empty log).</param>
public sealed record AuditHead(string? LogId, long RecordCount, string RecordHash);

/// <summary>An acknowledged (durable) append.</summary>
/// <param name="RecordNumber">The 1-based position of the record in the chain.</param>
/// <param name="PrevHash">Its <c>prev_hash</c>.</param>
/// <param name="RecordHash">Its <c>record_hash</c>.</param>
/// <param name="File">The file it was appended to.</param>
public sealed record AuditAppendResult(long RecordNumber, string PrevHash, string RecordHash, string File);
