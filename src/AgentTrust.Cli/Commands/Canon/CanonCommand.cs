using System.CommandLine;
using AgentTrust.Errors;
using AgentTrust.Json;

namespace AgentTrust.Cli.Commands.Canon;

/// <summary><c>agenttrust canon [FILE|-] [--strict-numbers]</c>: prints the RFC 8785 canonical form of a JSON document.</summary>
internal static class CanonCommand
{
    public const int DefaultMaxBytes = CanonicalJsonOptions.HardMaxInputBytes;
    public const int DefaultMaxDepth = 1000;

    public static Command Create(CliContext context)
    {
        var file = new Argument<string>("FILE")
        {
            Description = "The JSON document to canonicalise; '-' or nothing reads standard input.",
            Arity = ArgumentArity.ZeroOrOne,
            DefaultValueFactory = _ => "-",
        };
        var strictNumbers = new Option<bool>("--strict-numbers")
        {
            Description = "Also reject integer literals (no fraction, no exponent) whose value a double cannot hold exactly, "
                + "such as 9007199254740993: the strict input profile verifiers of signed messages use.",
        };
        var maxBytes = new Option<int>("--max-bytes")
        {
            Description = "Reject input larger than this many bytes (MCPS-016 too_large); at most 64 MiB.",
            DefaultValueFactory = _ => DefaultMaxBytes,
        };
        var maxDepth = new Option<int>("--max-depth")
        {
            Description = "Reject arrays and objects nested deeper than this (MCPS-016 too_deep).",
            DefaultValueFactory = _ => DefaultMaxDepth,
        };

        var command = new Command(
            "canon",
            "Print the RFC 8785 (JCS) canonical form of a JSON document as UTF-8 bytes, without a trailing newline. "
            + "Exit 0 on success; 1 when the input is rejected (invalid JSON or UTF-8, duplicate member names, lone surrogates, "
            + "numbers that overflow a double, limits exceeded), with one line 'agenttrust: error MCPS-0NN <reason>: ... (at byte N)' "
            + "on standard error; 2 for usage errors; 3 when the file cannot be read.");
        command.Arguments.Add(file);
        command.Options.Add(strictNumbers);
        command.Options.Add(maxBytes);
        command.Options.Add(maxDepth);
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            context,
            parseResult.GetValue(file) ?? "-",
            parseResult.GetValue(strictNumbers),
            parseResult.GetValue(maxBytes),
            parseResult.GetValue(maxDepth),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, string path, bool strictNumbers, int maxBytes, int maxDepth, CancellationToken cancellationToken)
    {
        if (maxBytes < 1 || maxBytes > CanonicalJsonOptions.HardMaxInputBytes)
        {
            throw CliFailure.Usage($"--max-bytes must be between 1 and {CanonicalJsonOptions.HardMaxInputBytes}");
        }

        if (maxDepth < 1)
        {
            throw CliFailure.Usage("--max-depth must be at least 1");
        }

        var options = new CanonicalJsonOptions
        {
            MaxInputBytes = maxBytes,
            MaxDepth = maxDepth,
            Numbers = strictNumbers ? JsonNumberProfile.ExactIntegers : JsonNumberProfile.Rfc8785,
        };

        var input = await BoundedInput.ReadAsync(context, path, maxBytes, cancellationToken).ConfigureAwait(false);
        if (input is null)
        {
            throw Rejected(new CanonicalJsonError(McpsCode.InputLimitExceeded, "too_large", $"input exceeds the limit of {maxBytes} bytes", maxBytes));
        }

        if (!JsonCanonicalizer.TryCanonicalize(input.Value.Span, options, out var canonical, out var error))
        {
            throw Rejected(error!);
        }

        if (context.StandardOutput is { } stdout)
        {
            await stdout.WriteAsync(canonical, cancellationToken).ConfigureAwait(false);
            await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await context.Out.WriteAsync(System.Text.Encoding.UTF8.GetString(canonical).AsMemory(), cancellationToken).ConfigureAwait(false);
            await context.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    /// <summary>The stderr line: <c>agenttrust: error MCPS-017 duplicate_member: duplicate member name (at byte 7)</c>.</summary>
    private static CliFailure Rejected(CanonicalJsonError error)
    {
        var message = error.Offset >= 0 ? $"{error.Message} (at byte {error.Offset})" : error.Message;
        return CliFailure.Rejected($"{error.Code.ToCodeString()} {error.Reason}", message);
    }
}
