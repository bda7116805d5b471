using System.Text;
using OpenEas.Client;

namespace OpenEas.FunctionalTests.Infrastructure;

/// <summary>Steady traffic against a service that counts every answer that is not 2xx (the "no failed request" check).</summary>
internal sealed class Traffic : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;
    private readonly List<string> _failures = [];
    private long _ok;

    /// <param name="echo">The service echoes the body (checked); otherwise any 2xx answer counts.</param>
    public Traffic(EasClient client, string service, string token, int concurrency = 4, bool echo = true)
    {
        _workers = new Task[concurrency];
        for (var i = 0; i < concurrency; i++)
        {
            var worker = i;
            _workers[i] = Task.Run(async () =>
            {
                var n = 0;
                while (!_stop.IsCancellationRequested)
                {
                    var body = Encoding.UTF8.GetBytes($"w{worker}-{n++}");
                    try
                    {
                        var answer = await client.PredictAsync(service, token, body, timeout: TimeSpan.FromSeconds(30));
                        if (answer.IsSuccess && (!echo || answer.Body.AsSpan().SequenceEqual(body)))
                        {
                            Interlocked.Increment(ref _ok);
                        }
                        else
                        {
                            lock (_failures)
                            {
                                _failures.Add($"{(int)answer.Status} {answer.BodyText}");
                            }
                        }
                    }
                    catch (Exception ex) when (!_stop.IsCancellationRequested)
                    {
                        lock (_failures)
                        {
                            _failures.Add(ex.GetType().Name + ": " + ex.Message);
                        }
                    }
                    catch (Exception) when (_stop.IsCancellationRequested)
                    {
                    }
                }
            });
        }
    }

    public long Succeeded => Interlocked.Read(ref _ok);

    public IReadOnlyList<string> Failures
    {
        get
        {
            lock (_failures)
            {
                return [.. _failures];
            }
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> more calls have succeeded.</summary>
    public Task WaitForMoreAsync(long count)
    {
        var target = Succeeded + count;
        return Poll.UntilAsync(() => Succeeded >= target, TimeSpan.FromSeconds(30), $"{count} more successful calls");
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }
}
