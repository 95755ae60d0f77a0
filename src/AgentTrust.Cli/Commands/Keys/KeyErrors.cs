using AgentTrust.Keys;
using AgentTrust.KeyStore;

namespace AgentTrust.Cli.Commands.Keys;

/// <summary>The error codes of <c>agenttrust key</c> and their mapping to exit codes.</summary>
internal static class KeyErrors
{
    public const string Exists = "AT-KEY-EXISTS";
    public const string NotFound = "AT-KEY-NOT-FOUND";
    public const string BadKey = "AT-KEY-INVALID";
    public const string Unsupported = "AT-KEY-UNSUPPORTED";
    public const string Decryption = "AT-KEY-DECRYPT";
    public const string PassphraseMissing = "AT-KEY-PASSPHRASE";
    public const string FileNotFound = "AT-FILE-NOT-FOUND";
    public const string Io = "AT-KEY-IO";

    public static CliFailure FromStore(KeyStoreException e) => e.Error switch
    {
        KeyStoreError.InvalidName => CliFailure.Usage(e.Message),
        KeyStoreError.NotFound => CliFailure.Environment(NotFound, e.Message),
        KeyStoreError.AlreadyExists => CliFailure.Rejected(Exists, e.Message),
        KeyStoreError.PassphraseRequired => CliFailure.Environment(PassphraseMissing, e.Message),
        KeyStoreError.DecryptionFailed => CliFailure.Rejected(Decryption, e.Message),
        KeyStoreError.InvalidKeyFile => FromFormat(e.FormatError, e.Message),
        _ => CliFailure.Environment(Io, e.Message),
    };

    public static CliFailure FromFormat(KeyFormatError error, string message) => error switch
    {
        KeyFormatError.PassphraseRequired => CliFailure.Environment(PassphraseMissing, message + " Set AGENTTRUST_PASSPHRASE (or SIGNET_PASSPHRASE) or run in a terminal."),
        KeyFormatError.DecryptionFailed => CliFailure.Rejected(Decryption, message),
        KeyFormatError.UnsupportedAlgorithm or KeyFormatError.EncryptedNotSupported or KeyFormatError.UnsupportedParameters => CliFailure.Rejected(Unsupported, message),
        _ => CliFailure.Rejected(BadKey, message),
    };
}
