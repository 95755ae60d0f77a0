using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentTrust.Mcps.Tools;

/// <summary>
/// A JSON file of pins (<c>{"version":1,"pins":[…]}</c>). Every change rewrites the file atomically: a temporary file
/// in the same folder, flushed to disk, then renamed over the original, so a crash leaves the old or the new file,
/// never a torn one. Reads are served from memory while the file's size and last-write time are unchanged (one
/// <c>stat</c>, no parse); a file changed by another process (a second gateway, an operator's approval) is read again.
/// A copy read within <see cref="RacyWindow"/> of the file's last-write time is not trusted (another write of the same
/// size within the same tick of the file system's clock would look alike): the file is read again until a read happens
/// well after its last write.
/// Changes are made under an exclusive lock on <c>&lt;file&gt;.lock</c> and always start from the file as it is on
/// disk, so two processes never lose each other's pins and an existing pin is never replaced except by
/// <see cref="ApproveAsync"/>. Calls within one process are serialised.
/// </summary>
public sealed class FileToolPinStore : IToolPinStore, IDisposable
{
    private const int MaxFileBytes = 16 * 1024 * 1024;
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, IReadOnlyDictionary<string, ToolPin>> _byServer = new(StringComparer.Ordinal);
    private Dictionary<(string, string), ToolPin>? _cached;
    private (long Length, DateTime WrittenAt) _cachedStamp;
    private DateTime _cachedAt;
    private readonly TimeProvider _time;

    /// <summary>Uses (and creates on first write) the file at <paramref name="path"/>.</summary>
    /// <param name="path">The pin file.</param>
    /// <param name="timeProvider">The clock the file's last-write time is compared with; <see cref="TimeProvider.System"/> when null.</param>
    public FileToolPinStore(string path, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>How long after the file's last write a read must have happened for its copy to be trusted (2 s, well above the coarsest file system clock tick).</summary>
    public static TimeSpan RacyWindow { get; } = TimeSpan.FromSeconds(2);

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyDictionary<string, ToolPin>> GetAsync(string serverId, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var pins = await LoadAsync(cancellationToken).ConfigureAwait(false);
            if (!_byServer.TryGetValue(serverId, out var result))
            {
                result = pins.Values.Where(p => p.ServerId == serverId).ToDictionary(p => p.ToolName, StringComparer.Ordinal).AsReadOnly();
                _byServer[serverId] = result;
            }

            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Every pin in the file.</summary>
    public async ValueTask<IReadOnlyList<ToolPin>> GetAllAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return [.. (await LoadAsync(cancellationToken).ConfigureAwait(false)).Values];
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> TryAddAsync(ToolPin pin, CancellationToken cancellationToken) =>
        MutateAsync(pins => pins.TryAdd((pin.ServerId, pin.ToolName), pin), cancellationToken);

    /// <inheritdoc />
    public async ValueTask ApproveAsync(ToolPin pin, CancellationToken cancellationToken) =>
        await MutateAsync(pins =>
        {
            pins[(pin.ServerId, pin.ToolName)] = pin;
            return true;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public ValueTask<bool> RemoveAsync(string serverId, string toolName, CancellationToken cancellationToken) =>
        MutateAsync(pins => pins.Remove((serverId, toolName)), cancellationToken);

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();

    private async ValueTask<bool> MutateAsync(Func<Dictionary<(string, string), ToolPin>, bool> change, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var processLock = await AcquireFileLockAsync(cancellationToken).ConfigureAwait(false);
            var pins = await ReadFileAsync(cancellationToken).ConfigureAwait(false);
            if (!change(pins))
            {
                Remember(pins);
                return false;
            }

            await SaveAsync(pins, cancellationToken).ConfigureAwait(false);
            Remember(pins);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    // Another process's writers hold the same lock file; the lock is released when the handle closes (also on a crash).
    private async Task<FileStream> AcquireFileLockAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var deadline = DateTime.UtcNow + LockTimeout;
        while (true)
        {
            try
            {
                return new FileStream(Path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(10, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private (long Length, DateTime WrittenAt) Stamp()
    {
        var info = new FileInfo(Path);
        return info.Exists ? (info.Length, info.LastWriteTimeUtc) : (-1, default);
    }

    private void Remember(Dictionary<(string, string), ToolPin> pins)
    {
        _byServer.Clear();
        _cached = pins;
        _cachedAt = _time.GetUtcNow().UtcDateTime;
        _cachedStamp = Stamp();
    }

    // The pins as on disk, read-only: from memory while the file is unchanged since it was last read or written here.
    private async Task<Dictionary<(string, string), ToolPin>> LoadAsync(CancellationToken cancellationToken)
    {
        var readAt = _time.GetUtcNow().UtcDateTime;
        var stamp = Stamp();
        if (_cached is not null && stamp == _cachedStamp && _cachedAt - stamp.WrittenAt >= RacyWindow)
        {
            return _cached;
        }

        // Stamped before reading: a change during the read is seen (and read again) on the next call.
        _cached = await ReadFileAsync(cancellationToken).ConfigureAwait(false);
        _byServer.Clear();
        _cachedStamp = stamp;
        _cachedAt = readAt;
        return _cached;
    }

    private async Task<Dictionary<(string, string), ToolPin>> ReadFileAsync(CancellationToken cancellationToken)
    {
        var pins = new Dictionary<(string, string), ToolPin>();
        if (!File.Exists(Path))
        {
            return pins;
        }

        var bytes = await File.ReadAllBytesAsync(Path, cancellationToken).ConfigureAwait(false);
        if (bytes.Length > MaxFileBytes)
        {
            throw new InvalidDataException("The pin file exceeds 16 MiB.");
        }

        JsonNode? root;
        try
        {
            root = JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { MaxDepth = 8, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("The pin file is not valid JSON.", e);
        }

        if (root is not JsonObject obj || obj["pins"] is not JsonArray array)
        {
            throw new InvalidDataException("The pin file has no 'pins' array.");
        }

        foreach (var item in array)
        {
            if (item is not JsonObject p || McpsJson.GetString(p, "server") is not { } server || McpsJson.GetString(p, "tool") is not { } tool
                || McpsJson.GetString(p, "tool_hash") is not { } hash || !McpsIdentifiers.IsLowerHex(hash, 64)
                || !McpsTimestamp.TryParse(McpsJson.GetString(p, "pinned_at"), out var pinnedAt))
            {
                throw new InvalidDataException("The pin file holds a malformed pin.");
            }

            pins[(server, tool)] = new ToolPin(server, tool, hash, McpsJson.GetString(p, "signer"), pinnedAt);
        }

        return pins;
    }

    private async Task SaveAsync(Dictionary<(string, string), ToolPin> pins, CancellationToken cancellationToken)
    {
        var array = new JsonArray();
        foreach (var pin in pins.Values.OrderBy(p => p.ServerId, StringComparer.Ordinal).ThenBy(p => p.ToolName, StringComparer.Ordinal))
        {
            array.Add((JsonNode)new JsonObject
            {
                ["server"] = pin.ServerId,
                ["tool"] = pin.ToolName,
                ["tool_hash"] = pin.ToolHash,
                ["signer"] = pin.SignerPassportId,
                ["pinned_at"] = McpsTimestamp.Format(pin.PinnedAt),
            });
        }

        var document = new JsonObject { ["version"] = 1, ["pins"] = array };
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(directory);
        var temporary = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(Path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
            {
                await stream.WriteAsync(McpsJson.Serialize(document), cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, Path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }
}
