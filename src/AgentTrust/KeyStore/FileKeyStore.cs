using AgentTrust.Cryptography;
using AgentTrust.Keys;

namespace AgentTrust.KeyStore;

/// <summary>
/// A directory of Signet-compatible key files: <c>&lt;name&gt;.key</c> (the private key, encrypted unless the caller
/// explicitly asks otherwise) and <c>&lt;name&gt;.pub</c>. Files are created 0600 inside a 0700 directory on Unix
/// (owner-only access control lists on Windows) and written atomically (temporary file, then rename); the <c>.pub</c>
/// is written first and removed again if the <c>.key</c> cannot be written.
/// </summary>
public sealed class FileKeyStore
{
    private readonly TimeProvider _time;

    /// <summary>Creates a store over <paramref name="directory"/> (created on first write).</summary>
    public FileKeyStore(string directory, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = Path.GetFullPath(directory);
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The directory holding the key files.</summary>
    public string Directory { get; }

    /// <summary>The default directory: <c>&lt;AGENTTRUST_HOME or ~/.agenttrust&gt;/keys</c>.</summary>
    public static string DefaultDirectory(string homeDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(homeDirectory);
        return Path.Combine(homeDirectory, "keys");
    }

    /// <summary>Generates a new key and stores it.</summary>
    /// <exception cref="KeyStoreException">The name is invalid or taken, or the files cannot be written.</exception>
    public async Task<StoredKey> CreateAsync(SignatureAlgorithm algorithm, string name, KeyProtection protection, string? owner = null, CancellationToken cancellationToken = default)
    {
        using var key = SigningKey.Generate(algorithm);
        return await AddAsync(key, name, protection, owner, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stores an existing private key under <paramref name="name"/>.</summary>
    /// <exception cref="KeyStoreException">The name is invalid or taken, or the files cannot be written.</exception>
    public async Task<StoredKey> AddAsync(SigningKey key, string name, KeyProtection protection, string? owner = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(protection);
        CheckName(name);
        EnsureAbsent(name);
        var keyBytes = protection.Passphrase is { } passphrase
            ? SignetKeyFile.WriteEncrypted(key, name, passphrase)
            : SignetKeyFile.WriteUnencrypted(key, name);
        try
        {
            var now = _time.GetUtcNow();
            var createdAt = SignetKeyFile.FormatCreatedAt(now);
            var pubBytes = SignetKeyFile.WritePublic(key.PublicKey, name, now, owner);
            EnsureDirectory();
            await WriteAtomicAsync(PublicPath(name), pubBytes, cancellationToken).ConfigureAwait(false);
            try
            {
                await WriteAtomicAsync(PrivatePath(name), keyBytes, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                TryDelete(PublicPath(name));
                throw;
            }

            return new StoredKey(name, key.PublicKey, HasPrivateKey: true, IsEncrypted: protection.Passphrase is not null, createdAt, owner);
        }
        finally
        {
            if (protection.Passphrase is null)
            {
                Array.Clear(keyBytes);
            }
        }
    }

    /// <summary>Stores a public key only (a <c>.pub</c> file without <c>.key</c>).</summary>
    /// <exception cref="KeyStoreException">The name is invalid or taken, or the file cannot be written.</exception>
    public async Task<StoredKey> AddPublicAsync(VerificationKey key, string name, string? owner = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        CheckName(name);
        EnsureAbsent(name);
        var now = _time.GetUtcNow();
        EnsureDirectory();
        await WriteAtomicAsync(PublicPath(name), SignetKeyFile.WritePublic(key, name, now, owner), cancellationToken).ConfigureAwait(false);
        return new StoredKey(name, key, HasPrivateKey: false, IsEncrypted: false, SignetKeyFile.FormatCreatedAt(now), owner);
    }

    /// <summary>
    /// Lists the stored keys (one entry per <c>.pub</c> file), sorted by name. A file that cannot be read becomes a
    /// <see cref="KeyStoreProblem"/> and does not hide the others.
    /// </summary>
    public async Task<KeyStoreListing> ListAsync(CancellationToken cancellationToken = default)
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return new KeyStoreListing([], []);
        }

        var names = System.IO.Directory.EnumerateFiles(Directory, "*.pub")
            .Select(Path.GetFileNameWithoutExtension)
            .Where(KeyNames.IsValid)
            .Order(StringComparer.Ordinal)
            .ToList();
        var keys = new List<StoredKey>(names.Count);
        var problems = new List<KeyStoreProblem>();
        foreach (var name in names)
        {
            try
            {
                keys.Add(await GetAsync(name!, cancellationToken).ConfigureAwait(false));
            }
            catch (KeyStoreException e)
            {
                problems.Add(new KeyStoreProblem(name!, e.Error, e.FormatError, e.Message));
            }
        }

        return new KeyStoreListing(keys, problems);
    }

    /// <summary>Reads the public information of one key.</summary>
    /// <exception cref="KeyStoreException">Unknown name, or an invalid or mismatching file.</exception>
    public async Task<StoredKey> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        CheckName(name);
        var pubBytes = await ReadAsync(PublicPath(name), name, cancellationToken).ConfigureAwait(false);
        PublicKeyFile pub;
        try
        {
            pub = SignetKeyFile.ReadPublic(pubBytes, expectedName: name);
        }
        catch (KeyFormatException e)
        {
            throw new KeyStoreException(KeyStoreError.InvalidKeyFile, $"{name}.pub: {e.Message}", e.Error);
        }

        var hasPrivate = File.Exists(PrivatePath(name));
        var encrypted = false;
        if (hasPrivate)
        {
            var keyBytes = await ReadAsync(PrivatePath(name), name, cancellationToken).ConfigureAwait(false);
            try
            {
                encrypted = SignetKeyFile.IsEncrypted(keyBytes);
            }
            catch (KeyFormatException e)
            {
                throw new KeyStoreException(KeyStoreError.InvalidKeyFile, $"{name}.key: {e.Message}", e.Error);
            }
            finally
            {
                Array.Clear(keyBytes);
            }
        }

        return new StoredKey(pub.Name, pub.Key, hasPrivate, encrypted, pub.CreatedAt, pub.Owner);
    }

    /// <summary>
    /// Opens the private key of <paramref name="name"/>. <paramref name="passphrase"/> is called only when the file is
    /// encrypted. The key must match the <c>.pub</c> file when there is one.
    /// </summary>
    /// <exception cref="KeyStoreException">
    /// Unknown name, invalid file, missing passphrase, or decryption failure (<see cref="KeyFormatError.DecryptionFailed"/>:
    /// a wrong passphrase and a tampered file give the same error).
    /// </exception>
    public async Task<SigningKey> OpenAsync(string name, Func<string?>? passphrase, CancellationToken cancellationToken = default)
    {
        CheckName(name);
        var keyBytes = await ReadAsync(PrivatePath(name), name, cancellationToken).ConfigureAwait(false);
        SigningKey key;
        try
        {
            key = SignetKeyFile.ReadPrivate(keyBytes, passphrase, expectedName: name, out _);
        }
        catch (KeyFormatException e)
        {
            var error = e.Error switch
            {
                KeyFormatError.PassphraseRequired => KeyStoreError.PassphraseRequired,
                KeyFormatError.DecryptionFailed => KeyStoreError.DecryptionFailed,
                _ => KeyStoreError.InvalidKeyFile,
            };
            throw new KeyStoreException(error, $"{name}.key: {e.Message}", e.Error);
        }
        finally
        {
            Array.Clear(keyBytes);
        }

        if (File.Exists(PublicPath(name)))
        {
            var stored = await GetAsync(name, cancellationToken).ConfigureAwait(false);
            if (!stored.PublicKey.Equals(key.PublicKey))
            {
                key.Dispose();
                throw new KeyStoreException(KeyStoreError.InvalidKeyFile, $"{name}.pub does not hold the public key of {name}.key.", KeyFormatError.InvalidKey);
            }
        }

        return key;
    }

    /// <summary>The path of the <c>.key</c> file of <paramref name="name"/>.</summary>
    public string PrivatePath(string name) => Path.Combine(Directory, name + ".key");

    /// <summary>The path of the <c>.pub</c> file of <paramref name="name"/>.</summary>
    public string PublicPath(string name) => Path.Combine(Directory, name + ".pub");

    private static void CheckName(string name)
    {
        if (!KeyNames.IsValid(name))
        {
            throw new KeyStoreException(KeyStoreError.InvalidName, $"Key names match ^[a-zA-Z0-9_-]+$ and have at most {KeyNames.MaxLength} characters.");
        }
    }

    private void EnsureAbsent(string name)
    {
        if (File.Exists(PrivatePath(name)) || File.Exists(PublicPath(name)))
        {
            throw new KeyStoreException(KeyStoreError.AlreadyExists, $"A key named '{name}' already exists.");
        }
    }

    private void EnsureDirectory()
    {
        try
        {
            OwnerOnlyFiles.EnsureDirectory(Directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KeyStoreException(KeyStoreError.Io, $"The key directory '{Directory}' cannot be created: {e.Message}");
        }
    }

    private static async Task WriteAtomicAsync(string path, byte[] content, CancellationToken cancellationToken)
    {
        var temporary = path + ".tmp";
        try
        {
            File.Delete(temporary);
            await using (var stream = OwnerOnlyFiles.CreateNew(temporary))
            {
                await stream.WriteAsync(content, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            TryDelete(temporary);
            if (e is OperationCanceledException)
            {
                throw;
            }

            if (File.Exists(path))
            {
                throw new KeyStoreException(KeyStoreError.AlreadyExists, $"'{Path.GetFileName(path)}' already exists.");
            }

            throw new KeyStoreException(KeyStoreError.Io, $"'{Path.GetFileName(path)}' cannot be written: {e.Message}");
        }
    }

    private static async Task<byte[]> ReadAsync(string path, string name, CancellationToken cancellationToken)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new KeyStoreException(KeyStoreError.NotFound, $"No key named '{name}' ({Path.GetFileName(path)} does not exist).");
            }

            if (info.Length > SignetKeyFile.MaxFileBytes)
            {
                throw new KeyStoreException(KeyStoreError.InvalidKeyFile, $"{Path.GetFileName(path)} is larger than a key file can be.", KeyFormatError.Empty);
            }

            return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KeyStoreException(KeyStoreError.Io, $"{Path.GetFileName(path)} cannot be read: {e.Message}");
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the original failure is what the caller needs to see.
        }
    }
}
