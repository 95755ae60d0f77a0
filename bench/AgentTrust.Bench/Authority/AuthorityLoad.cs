using System.Diagnostics;
using System.Globalization;
using System.Net;
using AgentTrust.Authority;
using AgentTrust.Authority.Storage;

namespace AgentTrust.Bench.Authority;

/// <summary>
/// Load run against a local Trust Authority (console mode, not BenchmarkDotNet): N concurrent clients do
/// GET /v1/passports/{id}/status over loopback HTTP for a fixed time; reports lookups per second, latency
/// percentiles and errors, on SQLite and (with --postgres) PostgreSQL.
/// <code>dotnet run -c Release --project bench/AgentTrust.Bench -- authority-load [--clients 32] [--seconds 10]
///   [--passports 1000] [--postgres CONNSTR | --sqlite-only] [--reuse-ms 1000]</code>
/// Without --postgres a temporary PostgreSQL server is started (initdb + pg_ctl, as the test fixture does).
/// </summary>
internal static class AuthorityLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var clients = IntArg(args, "--clients", 32);
        var seconds = IntArg(args, "--seconds", 10);
        var passports = IntArg(args, "--passports", 1000);
        var reuseMs = IntArg(args, "--reuse-ms", -1);
        var postgres = StringArg(args, "--postgres");
        var directory = Directory.CreateTempSubdirectory("agenttrust-ta-load-").FullName;
        Console.WriteLine($"authority-load: {clients} clients, {seconds} s per run, {passports} passports, {Environment.ProcessorCount} cores, server and clients in one process");
        var failures = 0;
        AgentTrust.Tests.Support.TemporaryPostgresServer? temporary = null;
        try
        {
            if (postgres is null && !args.Contains("--sqlite-only"))
            {
                // A real PostgreSQL on loopback, started exactly as the test fixture does (initdb + pg_ctl).
                temporary = await AgentTrust.Tests.Support.TemporaryPostgresServer.StartAsync().ConfigureAwait(false);
                postgres = await temporary.CreateDatabaseAsync("authority_load").ConfigureAwait(false);
                postgres = new Npgsql.NpgsqlConnectionStringBuilder(postgres) { MaxPoolSize = 64 }.ConnectionString;
            }

            var engines = new List<(string Name, Func<IAuthorityRepository> Open)>
            {
                ("sqlite", () => new SqliteAuthorityRepository(Path.Combine(directory, "load.db"))),
            };
            if (postgres is not null)
            {
                engines.Add(("postgres", () => new PostgresAuthorityRepository(postgres)));
            }

            var reuses = reuseMs >= 0 ? new[] { TimeSpan.FromMilliseconds(reuseMs) } : new[] { TimeSpan.FromSeconds(1), TimeSpan.Zero };
            foreach (var (name, open) in engines)
            {
                foreach (var reuse in reuses)
                {
                    failures += await RunOneAsync(name, open, reuse, clients, seconds, passports).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (temporary is not null)
            {
                await temporary.DisposeAsync().ConfigureAwait(false);
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }

        return failures == 0 ? 0 : 1;
    }

    private static async Task<int> RunOneAsync(string engine, Func<IAuthorityRepository> open, TimeSpan reuse, int clients, int seconds, int passports)
    {
        await using var repository = open();
        await repository.MigrateAsync(CancellationToken.None).ConfigureAwait(false);
        var ids = new string[passports];
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < passports; i++)
        {
            ids[i] = "asp_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
            await repository.InsertPassportAsync(new PassportRecord(ids[i], "{}", "load", 1, now, now.AddDays(30), null, null), CancellationToken.None).ConfigureAwait(false);
        }

        var options = new AuthorityServerOptions
        {
            Name = "load-ta",
            StatusReuse = reuse,
            // All load clients share 127.0.0.1: lift the per-client read limit so the run measures the server, not the limiter.
            ReadRequestsPerSecond = 10_000_000,
        };
        options.Urls.Add("http://127.0.0.1:0");
        using var keys = AuthorityKeyRing.Generate();
        await using var server = await AuthorityServer.StartAsync(options, repository, keys).ConfigureAwait(false);
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
        using var http = new HttpClient(handler) { BaseAddress = server.BaseAddress };

        // Warm-up: JIT, connection pool, SQLite page cache.
        await LoadAsync(http, ids, clients, TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        var result = await LoadAsync(http, ids, clients, TimeSpan.FromSeconds(seconds)).ConfigureAwait(false);

        var latencies = result.Latencies;
        Array.Sort(latencies);
        double Percentile(double p) => latencies.Length == 0 ? 0 : latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(p * latencies.Length) - 1)] * 1000.0 / Stopwatch.Frequency;
        var perSecond = latencies.Length / result.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{engine,-8} reuse={reuse.TotalMilliseconds,5:0}ms  lookups={latencies.Length,8}  errors={result.Errors}  {perSecond,9:0}/s  p50={Percentile(0.50):0.000}ms  p99={Percentile(0.99):0.000}ms  p99.9={Percentile(0.999):0.000}ms  max={Percentile(1.0):0.000}ms"));
        return result.Errors;
    }

    private static async Task<LoadResult> LoadAsync(HttpClient http, string[] ids, int clients, TimeSpan duration)
    {
        var errors = 0;
        var stop = Stopwatch.StartNew();
        var perClient = await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            var random = new Random(c);
            var samples = new List<long>(1 << 16);
            while (stop.Elapsed < duration)
            {
                var id = ids[random.Next(ids.Length)];
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.GetAsync($"v1/passports/{id}/status").ConfigureAwait(false);
                    var body = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
                    if (response.StatusCode != HttpStatusCode.OK || body.Length == 0)
                    {
                        Interlocked.Increment(ref errors);
                        continue;
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref errors);
                    continue;
                }

                samples.Add(Stopwatch.GetTimestamp() - started);
            }

            return samples;
        })).ConfigureAwait(false);
        var elapsed = stop.Elapsed;
        return new LoadResult(perClient.SelectMany(s => s).ToArray(), errors, elapsed);
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string? StringArg(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    private sealed record LoadResult(long[] Latencies, int Errors, TimeSpan Elapsed);
}
