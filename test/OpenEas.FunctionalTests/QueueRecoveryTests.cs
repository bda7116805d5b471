using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using OpenEas.Client;
using OpenEas.Client.Queue;
using OpenEas.Contracts.Queue;
using OpenEas.FunctionalTests.Infrastructure;

namespace OpenEas.FunctionalTests;

/// <summary>The queue's durability promise, tested the hard way: a real server process killed with SIGKILL under load.</summary>
public class QueueRecoveryTests
{
    private const int Items = 10_000;
    private const int KillAfter = 4_000;
    private const int Concurrency = 32;
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(240);

    [Fact]
    public async Task After_kill_9_during_a_10000_item_load_every_acknowledged_put_is_stored_once_and_processed()
    {
        var dataDir = TestServer.NewDataDir();
        const string admin = "queue-recovery-admin-0123456789";
        var acked = new ConcurrentDictionary<string, long>(); // requestId → index
        try
        {
            string token;
            await using (var first = await ServerProcess.StartAsync(dataDir, admin))
            {
                using var client = new EasClient(first.Endpoint, admin);
                await client.CreateServiceAsync(QueueTests.WorkerSpec("durable", 2, """{ "window": 8, "max_length": 20000 }"""));
                await Poll.UntilAsync(() => client.DescribeServiceAsync("durable"), d => d.RunningInstance == 2, Long, "2 running");
                token = (await client.DescribeServiceAsync("durable")).AccessToken;

                using var input = new QueueClient(first.Endpoint, "durable", token);
                var next = -1;
                var killed = new TaskCompletionSource();
                var workers = Enumerable.Range(0, Concurrency).Select(_ => Task.Run(async () =>
                {
                    while (!killed.Task.IsCompleted)
                    {
                        var i = Interlocked.Increment(ref next);
                        if (i >= Items)
                        {
                            return;
                        }

                        var requestId = "item-" + i.ToString(CultureInfo.InvariantCulture);
                        try
                        {
                            var (index, _) = await input.PutAsync(Encoding.UTF8.GetBytes(requestId), new Dictionary<string, string> { ["requestId"] = requestId });
                            acked[requestId] = index;
                        }
                        catch (Exception ex) when (ex is HttpRequestException or QueueException or IOException or TaskCanceledException)
                        {
                            return; // the server is gone: this put was not acknowledged
                        }
                    }
                })).ToArray();

                await Poll.UntilAsync(() => acked.Count >= KillAfter || workers.All(w => w.IsCompleted), Long, KillAfter + " puts acknowledged");
                await first.KillHardAsync();
                killed.SetResult();
                await Task.WhenAll(workers);
            }

            Assert.InRange(acked.Count, KillAfter, Items - 1);
            await using var second = await ServerProcess.StartAsync(dataDir, admin);

            // The load goes on after the restart, so 10 000 puts are acknowledged in all.
            using (var input = new QueueClient(second.Endpoint, "durable", token))
            {
                await Poll.UntilAsync(async () =>
                {
                    try
                    {
                        await input.AttributesAsync();
                        return true;
                    }
                    catch (QueueException)
                    {
                        return false;
                    }
                }, ok => ok, Long, "the queue served again");
                var rest = Enumerable.Range(0, Items).Select(i => "item-" + i.ToString(CultureInfo.InvariantCulture))
                    .Where(id => !acked.ContainsKey(id)).ToList();
                await Parallel.ForEachAsync(rest, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (id, ct) =>
                {
                    var retryId = id + "-after";
                    var (index, _) = await input.PutAsync(Encoding.UTF8.GetBytes(retryId), new Dictionary<string, string> { ["requestId"] = retryId }, ct);
                    acked[retryId] = index;
                });
            }

            Assert.Equal(Items, acked.Count);

            // Indexes are unique: no acknowledged put was given an index another one had.
            Assert.Equal(acked.Count, acked.Values.Distinct().Count());

            // Every acknowledged put reaches the sink (at least once), from exactly the input entry it was acknowledged as.
            using var sink = new QueueClient(second.Endpoint, "durable/sink", token);
            var seen = new Dictionary<string, HashSet<long>>();
            long cursor = 0;
            await Poll.UntilAsync(async () =>
            {
                while (true)
                {
                    var page = await sink.GetAsync(cursor, 1000, TimeSpan.Zero);
                    if (page.Count == 0)
                    {
                        break;
                    }

                    foreach (DataFrameProto frame in page)
                    {
                        Assert.Equal("200", frame.Tags["status"]);
                        Assert.Equal("done:" + frame.Tags["requestId"], frame.Data.ToStringUtf8());
                        if (!seen.TryGetValue(frame.Tags["requestId"], out var inputs))
                        {
                            seen[frame.Tags["requestId"]] = inputs = [];
                        }

                        inputs.Add(long.Parse(frame.Tags["inputIndex"], CultureInfo.InvariantCulture));
                        cursor = (long)frame.Index + 1;
                    }
                }

                return acked.Keys.Count(seen.ContainsKey);
            }, n => n == acked.Count, Long, "a result for every acknowledged put");

            foreach (var (requestId, index) in acked)
            {
                Assert.Equal([index], seen[requestId]);
            }

            // And the input queue drains: nothing is stuck.
            using var inputAfter = new QueueClient(second.Endpoint, "durable", token);
            await Poll.UntilAsync(async () => (await inputAfter.AttributesAsync())["stream.length"], l => l == "0", Long, "the input queue to drain");
            Assert.Equal(0, await second.TerminateAsync(TimeSpan.FromSeconds(60)));
        }
        finally
        {
            foreach (var pid in Processes.OfDataDir(dataDir))
            {
                try
                {
                    System.Diagnostics.Process.GetProcessById(pid).Kill(entireProcessTree: true);
                }
                catch (ArgumentException)
                {
                }
            }

            Directory.Delete(dataDir, recursive: true);
        }
    }
}
