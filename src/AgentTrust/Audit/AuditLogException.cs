using AgentTrust.Errors;

namespace AgentTrust.Audit;

/// <summary>The audit log cannot be written: its tail is corrupt or the chain was cut (MCPS-023). The writer stops.</summary>
public sealed class AuditLogException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AuditLogException(McpsCode code, string reason, string message) : base(message)
    {
        Code = code;
        Reason = reason;
    }

    /// <summary>Creates the exception (prefer the coded overload).</summary>
    public AuditLogException() : this(McpsCode.AuditChainBroken, "corrupt_tail", "The audit log is corrupt.")
    {
    }

    /// <summary>Creates the exception (prefer the coded overload).</summary>
    public AuditLogException(string message) : this(McpsCode.AuditChainBroken, "corrupt_tail", message)
    {
    }

    /// <summary>Creates the exception (prefer the coded overload).</summary>
    public AuditLogException(string message, Exception innerException) : base(message, innerException)
    {
        Code = McpsCode.AuditChainBroken;
        Reason = "corrupt_tail";
    }

    /// <summary>The MCPS code (MCPS-023).</summary>
    public McpsCode Code { get; }

    /// <summary>The reason: <c>corrupt_tail</c>, <c>truncated</c>, <c>writer_stopped</c>.</summary>
    public string Reason { get; }
}
