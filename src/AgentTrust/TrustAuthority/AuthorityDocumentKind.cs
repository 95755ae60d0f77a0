namespace AgentTrust.TrustAuthority;

/// <summary>The kinds of documents a Trust Authority signs; each is verified only as the kind it is expected to be.</summary>
public enum AuthorityDocumentKind
{
    /// <summary>A TA-signed passport (MCPS format; no <c>type</c> member).</summary>
    Passport,

    /// <summary>A per-passport status document.</summary>
    Status,

    /// <summary>A stapled status.</summary>
    Staple,

    /// <summary>The signed revocation list.</summary>
    RevocationList,

    /// <summary>An audit anchor (Ed25519, anchor key).</summary>
    AuditAnchor,

    /// <summary>The authority's fresh answer about a log: its anchor, bound to the request's nonce (Ed25519, anchor key).</summary>
    CheckpointAnswer,
}
