// Usage: ReplayWorker <store file> <partition> <first> <count> <go-file>
// Opens the replay store (a mapped table for a file ending in .map, else SQLite), waits for <go-file> to exist (so
// several processes start together), registers the values v<first> … v<first+count-1>, and prints one line per value,
// once its registration has returned: "<value> <result>".
using System.Globalization;
using AgentTrust.Replay;
using AgentTrust.Storage.Sqlite;

if (args.Length != 5)
{
    await Console.Error.WriteLineAsync("usage: ReplayWorker <database> <partition> <first> <count> <go-file>");
    return 2;
}

var first = int.Parse(args[2], CultureInfo.InvariantCulture);
var count = int.Parse(args[3], CultureInfo.InvariantCulture);
IReplayStore store = args[0].EndsWith(".map", StringComparison.Ordinal)
    ? MappedReplayStore.Open(new MappedReplayStoreOptions { FilePath = args[0] })
    : await SqliteReplayStore.OpenAsync(new SqliteReplayStoreOptions { DatabasePath = args[0], DurableCommits = false });
await Console.Out.WriteLineAsync("ready");
await Console.Out.FlushAsync();
var deadline = DateTime.UtcNow.AddSeconds(60);
while (!File.Exists(args[4]))
{
    if (DateTime.UtcNow > deadline)
    {
        return 3;
    }

    await Task.Delay(5);
}

var expiry = DateTimeOffset.UtcNow.AddMinutes(10);
for (var i = first; i < first + count; i++)
{
    var value = "v" + i.ToString(CultureInfo.InvariantCulture);
    var result = await store.TryRegisterAsync(args[1], value, expiry);
    await Console.Out.WriteLineAsync($"{value} {result}");
}

switch (store)
{
    case IAsyncDisposable asyncDisposable:
        await asyncDisposable.DisposeAsync();
        break;
    case IDisposable disposable:
        disposable.Dispose();
        break;
}

return 0;
