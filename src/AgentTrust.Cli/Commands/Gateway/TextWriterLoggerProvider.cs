using Microsoft.Extensions.Logging;

namespace AgentTrust.Cli.Commands.Gateway;

/// <summary>Writes log lines to the CLI's error writer (stdout carries only protocol messages).</summary>
internal sealed class TextWriterLoggerProvider(TextWriter writer, LogLevel minimum) : ILoggerProvider
{
    private readonly object _gate = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, minimum);

    public void Dispose()
    {
    }

    private void Write(LogLevel level, string message)
    {
        lock (_gate)
        {
            try
            {
                writer.WriteLine($"agenttrust-gateway: {Label(level)}: {message.ReplaceLineEndings(" ")}");
                writer.Flush();
            }
            catch (IOException)
            {
                // stderr is gone: a log line is never worth stopping the relay for.
            }
        }
    }

    private static string Label(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "error",
        _ => "critical",
    };

    private sealed class Logger(TextWriterLoggerProvider owner, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                // The exception type only: exception messages may carry input that must not reach a log.
                var suffix = exception is null ? string.Empty : $" ({exception.GetType().Name})";
                owner.Write(logLevel, formatter(state, exception) + suffix);
            }
        }
    }
}
