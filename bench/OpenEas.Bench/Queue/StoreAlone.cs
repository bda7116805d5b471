using System.Diagnostics;
using System.Runtime.Versioning;
using OpenEas.Bench.Infrastructure;
using OpenEas.Core.Queue;

namespace OpenEas.Bench.Queue;

/// <summary>
/// The embedded store by itself: <see cref="SqliteQueueStore"/> in this process (same file settings, same group commit and
/// fsync), puts tagged with a requestId made as the gateway makes it, no HTTP. Tells the store's cost from the protocol's.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class StoreAlone
{
    public static async Task<double> PutsPerSecondAsync(int payloadBytes, int concurrency, int seconds, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("openeas-bench-store-");
        try
        {
            var payload = new byte[payloadBytes];
            Array.Fill(payload, (byte)'x');
            long puts = 0;
            await using (var store = new SqliteQueueStore(Path.Combine(dir.FullName, "queue.db")))
            {
                var limits = new QueueLimits(long.MaxValue, payloadBytes);
                var watch = Stopwatch.StartNew();
                var until = TimeSpan.FromSeconds(seconds);
                var putters = new Task[concurrency];
                for (var i = 0; i < putters.Length; i++)
                {
                    putters[i] = Task.Run(async () =>
                    {
                        while (watch.Elapsed < until)
                        {
                            var tags = new Dictionary<string, string> { ["requestId"] = Guid.CreateVersion7().ToString("N") };
                            await store.PutAsync("bench", payload, tags, limits, ct);
                            Interlocked.Increment(ref puts);
                        }
                    }, ct);
                }

                await Task.WhenAll(putters);
                return puts / watch.Elapsed.TotalSeconds;
            }
        }
        finally
        {
            TempDir.DeleteQuietly(dir);
        }
    }
}
