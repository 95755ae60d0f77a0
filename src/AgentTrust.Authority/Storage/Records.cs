namespace AgentTrust.Authority.Storage;

/// <summary>A registered passport.</summary>
/// <param name="PassportId">The passport id (<c>asp_</c> + 32 hex).</param>
/// <param name="PassportJson">The authority-signed passport, JCS text.</param>
/// <param name="KeyThumbprint">RFC 7638 thumbprint of the agent's public key.</param>
/// <param name="TrustLevel">The current trust level (0–4).</param>
/// <param name="IssuedAt">Issue time.</param>
/// <param name="ExpiresAt">Expiry time.</param>
/// <param name="RevokedAt">Revocation time, or null.</param>
/// <param name="RevocationReason">Revocation reason, or null.</param>
public sealed record PassportRecord(
    string PassportId,
    string PassportJson,
    string KeyThumbprint,
    int TrustLevel,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? RevokedAt,
    string? RevocationReason);

/// <summary>One recorded trust-level change.</summary>
/// <param name="PassportId">The passport.</param>
/// <param name="OldLevel">Level before.</param>
/// <param name="NewLevel">Level after.</param>
/// <param name="Reason">Why (given by the admin).</param>
/// <param name="Actor">Who (the admin token's label).</param>
/// <param name="ChangedAt">When.</param>
public sealed record TrustLevelChange(string PassportId, int OldLevel, int NewLevel, string Reason, string Actor, DateTimeOffset ChangedAt);

/// <summary>One entry of the revocation list.</summary>
/// <param name="PassportId">The revoked passport.</param>
/// <param name="RevokedAt">When.</param>
/// <param name="Reason">Why.</param>
public sealed record RevocationEntry(string PassportId, DateTimeOffset RevokedAt, string Reason);

/// <summary>All revocations and the list version.</summary>
/// <param name="Version">Number of the latest revocation (monotonic); 0 when none.</param>
/// <param name="Entries">Entries in revocation order.</param>
public sealed record RevocationSnapshot(long Version, IReadOnlyList<RevocationEntry> Entries);

/// <summary>A stored admin token.</summary>
/// <param name="TokenHash">SHA-256 of the 32 random token bytes.</param>
/// <param name="Label">A name for logs and the trust-level record (never the token).</param>
public sealed record AdminTokenRecord(byte[] TokenHash, string Label);

/// <summary>An audit-log checkpoint head anchored by the authority.</summary>
/// <param name="LogId">The log (record_hash of its first record).</param>
/// <param name="RecordCount">Records covered.</param>
/// <param name="RecordHash">record_hash of the last covered record.</param>
/// <param name="Submitter">The <c>ed25519:</c> key bound to the log at its first checkpoint.</param>
/// <param name="AnchoredAt">When the authority anchored it.</param>
/// <param name="AnchorJson">The signed anchor document, JCS text.</param>
public sealed record CheckpointRecord(string LogId, long RecordCount, string RecordHash, string Submitter, DateTimeOffset AnchoredAt, string AnchorJson);

/// <summary>The state of a challenge (<see cref="IAuthorityRepository.PeekChallengeAsync"/>) or the result of registering with it.</summary>
public enum ChallengeOutcome
{
    /// <summary>The challenge was fresh and is now used (the passport was stored).</summary>
    Consumed,

    /// <summary>The challenge was used before (replay).</summary>
    AlreadyUsed,

    /// <summary>The challenge expired.</summary>
    Expired,

    /// <summary>No such challenge was issued.</summary>
    Unknown,

    /// <summary>The challenge is unused and unexpired (a peek; nothing changed).</summary>
    Fresh,

    /// <summary>The passport id is already registered; the challenge was not used.</summary>
    AlreadyRegistered,
}

/// <summary>Result of a revocation.</summary>
public enum RevocationOutcome
{
    /// <summary>Revoked now.</summary>
    Revoked,

    /// <summary>Was already revoked; nothing changed.</summary>
    AlreadyRevoked,

    /// <summary>No such passport.</summary>
    NotFound,
}

/// <summary>Result of a trust-level change.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="OldLevel">The level before (when found).</param>
public sealed record TrustLevelOutcome(TrustLevelOutcomeKind Kind, int OldLevel);

/// <summary>What a trust-level change did.</summary>
public enum TrustLevelOutcomeKind
{
    /// <summary>Changed and recorded.</summary>
    Changed,

    /// <summary>The passport is revoked; its level cannot change.</summary>
    Revoked,

    /// <summary>No such passport.</summary>
    NotFound,
}

/// <summary>Result of recording a checkpoint.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Current">The head stored after the call (the accepted one, or the existing one that refused the proposal).</param>
public sealed record CheckpointOutcome(CheckpointOutcomeKind Kind, CheckpointRecord? Current);

/// <summary>What recording a checkpoint did.</summary>
public enum CheckpointOutcomeKind
{
    /// <summary>New log or higher count: stored as the head.</summary>
    Accepted,

    /// <summary>The same head again (same count and hash): nothing changed.</summary>
    Unchanged,

    /// <summary>A lower count than the stored head: refused.</summary>
    Lower,

    /// <summary>Same count, different hash: a fork, refused.</summary>
    Conflict,

    /// <summary>The log is bound to another submitter key: refused.</summary>
    WrongSubmitter,
}
