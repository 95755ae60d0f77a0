using AgentTrust.Errors;
using AgentTrust.Mcps;
using AgentTrust.Mcps.Passports;

namespace AgentTrust.Authority.Services;

/// <summary>
/// Checks the passport an agent submits for registration: the MCPS parser (size before parsing, strict JSON,
/// structure and limits of mcps.md §7.1–7.2), plus the authority's own rule that registration never grants
/// <c>passport:issue</c>.
/// </summary>
internal static class PassportIntake
{
    public static bool TryCheck(ReadOnlySpan<byte> passportJson, out AgentPassport? passport, out McpsFailure? failure)
    {
        if (!AgentPassport.TryParse(passportJson, out passport, out failure))
        {
            return false;
        }

        if (passport!.HasCapability(AgentPassport.IssueCapability))
        {
            passport = null;
            failure = new McpsFailure(McpsCode.InvalidPassport, McpsReasons.BadField);
            return false;
        }

        return true;
    }
}
