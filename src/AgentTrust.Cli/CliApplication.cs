using System.CommandLine;
using AgentTrust.Cli.Commands;
using AgentTrust.Cryptography;

namespace AgentTrust.Cli;

/// <summary>Builds the <c>agenttrust</c> command tree and runs it with uniform error handling and exit codes.</summary>
internal static class CliApplication
{
    public static RootCommand BuildRoot(CliContext context)
    {
        var root = new RootCommand("AgentTrust: the trust layer for the Model Context Protocol (identity, integrity, evidence, policy).");
        foreach (var command in CommandCatalog.Create(context))
        {
            root.Subcommands.Add(command);
        }

        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        var root = BuildRoot(context);
        // No response files: "@FILE" is an argument value (receipt sign --params @FILE), never a list of arguments.
        var parseResult = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parseResult.Errors.Count > 0)
        {
            foreach (var error in parseResult.Errors)
            {
                await context.Error.WriteLineAsync($"agenttrust: error AT-USAGE: {error.Message}").ConfigureAwait(false);
            }

            await context.Error.WriteLineAsync("Run 'agenttrust --help' (or the command with --help) for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        try
        {
            var configuration = new InvocationConfiguration { Output = context.Out, Error = context.Error, EnableDefaultExceptionHandler = false };
            return await parseResult.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        }
        catch (CliFailure failure)
        {
            await context.Error.WriteLineAsync($"agenttrust: error {failure.Code}: {OneLine(failure.Message)}").ConfigureAwait(false);
            return failure.ExitCode;
        }
        catch (NativeLibraryMissingException e)
        {
            await context.Error.WriteLineAsync($"agenttrust: error AT-ENV-NATIVE: {OneLine(e.Message)}").ConfigureAwait(false);
            return ExitCodes.Environment;
        }
        catch (OperationCanceledException)
        {
            await context.Error.WriteLineAsync("agenttrust: error AT-CANCELLED: cancelled").ConfigureAwait(false);
            return 130;
        }
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
