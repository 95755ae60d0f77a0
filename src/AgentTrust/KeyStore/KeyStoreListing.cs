using AgentTrust.Keys;

namespace AgentTrust.KeyStore;

/// <summary>The result of listing a key store: the readable keys, and one problem per file that could not be read.</summary>
/// <param name="Keys">The readable keys, sorted by name.</param>
/// <param name="Problems">The unreadable entries; a broken file never hides the others.</param>
public sealed record KeyStoreListing(IReadOnlyList<StoredKey> Keys, IReadOnlyList<KeyStoreProblem> Problems);

/// <summary>A key store entry that could not be read.</summary>
/// <param name="Name">The key name (from the file name).</param>
/// <param name="Error">Why it failed.</param>
/// <param name="FormatError">The key file defect, when the file itself is at fault.</param>
/// <param name="Message">A message without key material.</param>
public sealed record KeyStoreProblem(string Name, KeyStoreError Error, KeyFormatError FormatError, string Message);
