using System.CommandLine;

namespace AgentTrust.Cli.Commands;

/// <summary>The top-level commands, in the order <c>--help</c> lists them.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> Create(CliContext context)
    {
        yield return Authority.AuthorityCommand.Create(context);
        yield return Gateway.ProxyCommand.Create(context);
        yield return Gateway.AgentProxyCommand.Create(context);
        yield return Mcps.PassportCommand.Create(context);
        yield return Mcps.SignCommand.Create(context);
        yield return Mcps.VerifyCommand.Create(context);
        yield return Mcps.ToolCommand.Create(context);
        yield return Receipts.ReceiptCommand.Create(context);
        yield return AuditCommand.Create(context);
        yield return Attest.AttestCommand.Create(context);
        yield return Keys.KeyCommand.Create(context);
        yield return Canon.CanonCommand.Create(context);
    }
}
