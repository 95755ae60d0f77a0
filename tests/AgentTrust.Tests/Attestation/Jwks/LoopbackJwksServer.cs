using System.Net;
using System.Net.Sockets;

namespace AgentTrust.Tests.Attestation.Jwks;

/// <summary>A real HTTP server on 127.0.0.1 (HttpListener) whose response the test sets: body, status, max-age, delay.</summary>
internal sealed class LoopbackJwksServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _requests;

    public LoopbackJwksServer()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Url = new Uri($"http://127.0.0.1:{port}/.well-known/jwks.json");
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public Uri Url { get; }

    public volatile string Body = "{\"keys\":[]}";
    public volatile int Status = 200;
    public volatile int MaxAge = -1;
    public TimeSpan Delay { get; set; } = TimeSpan.Zero;

    public int Requests => Volatile.Read(ref _requests);

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                Interlocked.Increment(ref _requests);
                try
                {
                    if (Delay > TimeSpan.Zero)
                    {
                        await Task.Delay(Delay, _stop.Token);
                    }

                    context.Response.StatusCode = Status;
                    if (Status is >= 300 and < 400)
                    {
                        context.Response.RedirectLocation = Url.ToString();
                    }
                    if (MaxAge >= 0)
                    {
                        context.Response.Headers["Cache-Control"] = $"max-age={MaxAge}";
                    }

                    var bytes = System.Text.Encoding.UTF8.GetBytes(Body);
                    context.Response.ContentType = "application/json";
                    await context.Response.OutputStream.WriteAsync(bytes, _stop.Token);
                    context.Response.Close();
                }
                catch (Exception)
                {
                    try
                    {
                        context.Response.Abort();
                    }
                    catch (ObjectDisposedException)
                    {
                    }
                }
            });
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _listener.Close();
        _stop.Dispose();
    }
}
