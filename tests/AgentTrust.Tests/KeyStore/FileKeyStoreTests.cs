using AgentTrust.Cryptography;
using AgentTrust.Keys;
using AgentTrust.KeyStore;
using AgentTrust.Tests.Support;

namespace AgentTrust.Tests.KeyStore;

public sealed class FileKeyStoreTests : IDisposable
{
    private const string Pass = "test passphrase";
    private readonly string _root = Directory.CreateTempSubdirectory("agenttrust-keystore-").FullName;
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero));

    private FileKeyStore Store => new(Path.Combine(_root, "keys"), _time);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData(SignatureAlgorithm.ES256)]
    [InlineData(SignatureAlgorithm.EdDSA)]
    public async Task Created_key_reopens_with_its_passphrase_and_lists(SignatureAlgorithm algorithm)
    {
        var store = Store;
        var created = await store.CreateAsync(algorithm, "agent-1", KeyProtection.WithPassphrase(Pass), owner: "ops");
        Assert.True(created.HasPrivateKey);
        Assert.True(created.IsEncrypted);
        Assert.Equal("2026-01-15T12:00:00.000000000+00:00", created.CreatedAt);

        using var key = await store.OpenAsync("agent-1", () => Pass);
        Assert.Equal(created.PublicKey, key.PublicKey);
        Assert.Equal(SignatureStatus.Valid, created.PublicKey.Verify("x"u8, key.Sign("x"u8)));

        var listing = await store.ListAsync();
        Assert.Empty(listing.Problems);
        var listed = Assert.Single(listing.Keys);
        Assert.Equal(created, listed with { });
        Assert.Equal("ops", listed.Owner);
        Assert.Empty(Directory.GetFiles(store.Directory, "*.tmp"));
    }

    [Fact]
    public async Task Files_are_0600_inside_a_0700_directory()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix modes only; Windows ACLs are not set by this store (reported as missing).
        }

        var store = Store;
        await store.CreateAsync(SignatureAlgorithm.EdDSA, "k", KeyProtection.Unencrypted);
        const UnixFileMode OwnerRw = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(store.Directory));
        Assert.Equal(OwnerRw, File.GetUnixFileMode(store.PrivatePath("k")));
        Assert.Equal(OwnerRw, File.GetUnixFileMode(store.PublicPath("k")));
    }

    [Fact]
    public async Task An_existing_directory_open_to_others_is_tightened_to_0700()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var store = Store;
        Directory.CreateDirectory(store.Directory);
        File.SetUnixFileMode(store.Directory, (UnixFileMode)0b111_101_101);
        await store.CreateAsync(SignatureAlgorithm.EdDSA, "k", KeyProtection.WithPassphrase(Pass));
        Assert.Equal((UnixFileMode)0b111_000_000, File.GetUnixFileMode(store.Directory));
    }

    [Theory]
    [InlineData("")]
    [InlineData("../escape")]
    [InlineData("a b")]
    [InlineData("a.b")]
    [InlineData("name/with/slash")]
    [InlineData("ünicode")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task Invalid_names_are_rejected_before_touching_the_disk(string name)
    {
        var store = Store;
        var error = await Assert.ThrowsAsync<KeyStoreException>(() => store.CreateAsync(SignatureAlgorithm.EdDSA, name, KeyProtection.Unencrypted));
        Assert.Equal(KeyStoreError.InvalidName, error.Error);
        Assert.False(Directory.Exists(store.Directory));
        Assert.Equal(KeyStoreError.InvalidName, (await Assert.ThrowsAsync<KeyStoreException>(() => store.OpenAsync(name, null))).Error);
    }

    [Fact]
    public async Task A_taken_name_is_rejected_and_the_existing_key_is_kept()
    {
        var store = Store;
        var first = await store.CreateAsync(SignatureAlgorithm.EdDSA, "k", KeyProtection.Unencrypted);
        var error = await Assert.ThrowsAsync<KeyStoreException>(() => store.CreateAsync(SignatureAlgorithm.ES256, "k", KeyProtection.Unencrypted));
        Assert.Equal(KeyStoreError.AlreadyExists, error.Error);
        using var key = await store.OpenAsync("k", null);
        Assert.Equal(first.PublicKey, key.PublicKey);
    }

    [Fact]
    public async Task Wrong_passphrase_missing_passphrase_and_unknown_name_are_typed_errors()
    {
        var store = Store;
        await store.CreateAsync(SignatureAlgorithm.ES256, "k", KeyProtection.WithPassphrase(Pass));
        var wrong = await Assert.ThrowsAsync<KeyStoreException>(() => store.OpenAsync("k", () => "not it"));
        Assert.Equal(KeyStoreError.DecryptionFailed, wrong.Error);
        Assert.Equal(KeyStoreError.PassphraseRequired, (await Assert.ThrowsAsync<KeyStoreException>(() => store.OpenAsync("k", () => null))).Error);
        Assert.Equal(KeyStoreError.NotFound, (await Assert.ThrowsAsync<KeyStoreException>(() => store.OpenAsync("nope", () => Pass))).Error);
        Assert.Equal(KeyStoreError.NotFound, (await Assert.ThrowsAsync<KeyStoreException>(() => store.GetAsync("nope"))).Error);
    }

    [Fact]
    public async Task Unencrypted_only_when_asked_and_opening_it_never_asks_for_a_passphrase()
    {
        var store = Store;
        var created = await store.CreateAsync(SignatureAlgorithm.EdDSA, "plain", KeyProtection.Unencrypted);
        Assert.False(created.IsEncrypted);
        Assert.Contains("\"seed\"", await File.ReadAllTextAsync(store.PrivatePath("plain")), StringComparison.Ordinal);
        using var key = await store.OpenAsync("plain", () => throw new InvalidOperationException("asked"));
        Assert.Equal(created.PublicKey, key.PublicKey);
        Assert.Throws<ArgumentException>(() => KeyProtection.WithPassphrase(""));
    }

    [Fact]
    public async Task A_key_file_renamed_to_another_name_is_rejected()
    {
        var store = Store;
        await store.CreateAsync(SignatureAlgorithm.EdDSA, "alice", KeyProtection.Unencrypted);
        File.Copy(store.PrivatePath("alice"), store.PrivatePath("bob"));
        File.Copy(store.PublicPath("alice"), store.PublicPath("bob"));
        var error = await Assert.ThrowsAsync<KeyStoreException>(() => store.OpenAsync("bob", null));
        Assert.Equal(KeyStoreError.InvalidKeyFile, error.Error);
        Assert.Equal(KeyFormatError.NameMismatch, error.FormatError);
        var listing = await store.ListAsync();
        Assert.Equal("alice", Assert.Single(listing.Keys).Name);
        var problem = Assert.Single(listing.Problems);
        Assert.Equal(("bob", KeyStoreError.InvalidKeyFile, KeyFormatError.NameMismatch), (problem.Name, problem.Error, problem.FormatError));
    }

    [Fact]
    public async Task A_pub_file_that_does_not_match_the_key_file_is_rejected()
    {
        var store = Store;
        await store.CreateAsync(SignatureAlgorithm.EdDSA, "a", KeyProtection.Unencrypted);
        using var other = SigningKey.Generate(SignatureAlgorithm.EdDSA);
        await File.WriteAllBytesAsync(store.PublicPath("a"), SignetKeyFile.WritePublic(other.PublicKey, "a", _time.GetUtcNow()));
        var error = await Assert.ThrowsAsync<KeyStoreException>(() => store.OpenAsync("a", null));
        Assert.Equal(KeyStoreError.InvalidKeyFile, error.Error);
        Assert.Equal(KeyFormatError.InvalidKey, error.FormatError);
    }

    [Fact]
    public async Task The_pub_file_is_removed_when_the_key_file_cannot_be_written()
    {
        var store = Store;
        Directory.CreateDirectory(store.Directory);
        Directory.CreateDirectory(store.PrivatePath("k") + ".tmp"); // blocks the temporary file of the .key
        var error = await Assert.ThrowsAsync<KeyStoreException>(() => store.CreateAsync(SignatureAlgorithm.EdDSA, "k", KeyProtection.Unencrypted));
        Assert.Equal(KeyStoreError.Io, error.Error);
        Assert.False(File.Exists(store.PublicPath("k")));
        Assert.False(File.Exists(store.PrivatePath("k")));
    }

    [Fact]
    public async Task Signet_written_files_open_from_the_store()
    {
        var store = Store;
        Directory.CreateDirectory(store.Directory);
        File.Copy(SharedFiles.Path("interop", "signet", "keyfile_encrypted.key.json"), store.PrivatePath("demo-bot"));
        File.Copy(SharedFiles.Path("interop", "signet", "keyfile.pub.json"), store.PublicPath("demo-bot"));
        var info = await store.GetAsync("demo-bot");
        Assert.True(info.IsEncrypted);
        Assert.Equal("willamhou", info.Owner);
        using var key = await store.OpenAsync("demo-bot", () => "correct horse battery staple");
        Assert.Equal(info.PublicKey, key.PublicKey);
    }

    [Fact]
    public async Task Public_only_entries_have_no_key_file()
    {
        var store = Store;
        using var key = SigningKey.Generate(SignatureAlgorithm.ES256);
        var stored = await store.AddPublicAsync(key.PublicKey, "peer");
        Assert.False(stored.HasPrivateKey);
        Assert.False(File.Exists(store.PrivatePath("peer")));
        Assert.Equal(KeyStoreError.NotFound, (await Assert.ThrowsAsync<KeyStoreException>(() => store.OpenAsync("peer", null))).Error);
        Assert.Equal(key.PublicKey, (await store.GetAsync("peer")).PublicKey);
    }

    [Fact]
    public void Default_directory_is_keys_under_the_home()
    {
        Assert.Equal(Path.Combine("/home/u/.agenttrust", "keys"), FileKeyStore.DefaultDirectory("/home/u/.agenttrust"));
    }
}
