using System.Globalization;
using System.Runtime.Versioning;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using OpenEas.Bench.Infrastructure;
using OpenEas.Core.Queue;

namespace OpenEas.Bench.Queue;

/// <summary>
/// <c>put-floor --port P --dir D --store file|sqlite</c>: the least a durable put over HTTP costs on this machine, for the
/// queue scenario's floor rows. One Kestrel endpoint and nothing else (no routing, auth, metrics, access log or queue
/// protocol): POST reads the body and answers its index once it is on disk; DELETE empties the store.
/// <list type="bullet">
/// <item><c>file</c>: one writer thread appends everything waiting in one write, fsyncs, answers them (group commit, like
/// redis-server's <c>appendfsync always</c>: one fsync per round of waiting writes). No database at all.</item>
/// <item><c>sqlite</c>: OpenEAS's embedded queue store itself (<see cref="SqliteQueueStore"/>: the same WAL, group commit and
/// fsync), each put tagged with a time-ordered requestId as the gateway tags it.</item>
/// </list>
/// </summary>
[SupportedOSPlatform("linux")]
internal static class PutFloorApp
{
    public static async Task<int> RunAsync(int port, string dir, string store, CancellationToken ct)
    {
        await using IFloorStore floor = store switch
        {
            "file" => new AppendLog(Path.Combine(dir, "puts.log")),
            "sqlite" => new EmbeddedStore(Path.Combine(dir, "queue.db")),
            _ => throw new ArgumentException($"--store: expected file or sqlite, not '{store}'"),
        };

        var builder = BareKestrel.Builder(port);
        await using var app = builder.Build();
        app.Run(async context =>
        {
            if (context.Request.Method == HttpMethods.Delete)
            {
                await floor.EmptyAsync();
                return;
            }

            var data = new byte[(int)(context.Request.ContentLength ?? 0)];
            await context.Request.Body.ReadExactlyAsync(data, context.RequestAborted);
            var index = await floor.PutAsync(data);
            var text = index.ToString(CultureInfo.InvariantCulture);
            context.Response.ContentType = "text/plain";
            context.Response.ContentLength = text.Length;
            await context.Response.WriteAsync(text, context.RequestAborted);
        });
        await app.StartAsync(ct);
        Console.WriteLine($"put floor ({store}) listening on http://127.0.0.1:{port}");
        await app.WaitForShutdownAsync(ct);
        return 0;
    }

    private interface IFloorStore : IAsyncDisposable
    {
        Task<long> PutAsync(byte[] data);

        Task EmptyAsync();
    }

    /// <summary>Appends to one file: one write and one fsync for everything that waited (group commit).</summary>
    private sealed class AppendLog : IFloorStore
    {
        private readonly Channel<(byte[]? Data, TaskCompletionSource<long> Done)> _ops =
            Channel.CreateUnbounded<(byte[]? Data, TaskCompletionSource<long> Done)>(new UnboundedChannelOptions { SingleReader = true });

        private readonly FileStream _file;
        private readonly Thread _writer;
        private long _index;

        public AppendLog(string path)
        {
            _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0);
            _writer = new Thread(WriteLoop) { IsBackground = true, Name = "floor-writer" };
            _writer.Start();
        }

        public Task<long> PutAsync(byte[] data) => Submit(data);

        /// <summary>Cuts the file to nothing (between runs, so every run appends to the same size).</summary>
        public Task EmptyAsync() => Submit(null);

        public async ValueTask DisposeAsync()
        {
            _ops.Writer.TryComplete();
            await Task.Run(_writer.Join);
            await _file.DisposeAsync();
        }

        private Task<long> Submit(byte[]? data)
        {
            var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            _ops.Writer.TryWrite((data, done));
            return done.Task;
        }

        private void WriteLoop()
        {
            var batch = new List<(byte[]? Data, TaskCompletionSource<long> Done)>();
            var buffer = new byte[4 << 20];
            while (_ops.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                batch.Clear();
                var length = 0;
                while (length < buffer.Length / 2 && _ops.Reader.TryRead(out var op))
                {
                    batch.Add(op);
                    if (op.Data is null)
                    {
                        _file.SetLength(0);
                        length = 0;
                        continue;
                    }

                    op.Data.CopyTo(buffer, length);
                    length += op.Data.Length;
                }

                _file.Write(buffer, 0, length);
                _file.Flush(flushToDisk: true);
                foreach (var op in batch)
                {
                    op.Done.TrySetResult(++_index);
                }
            }
        }
    }

    /// <summary>The embedded queue store, one queue.</summary>
    private sealed class EmbeddedStore(string path) : IFloorStore
    {
        private const string Queue = "floor";
        private static readonly QueueLimits Limits = new(long.MaxValue, 1 << 20);
        private readonly SqliteQueueStore _store = new(path);
        private long _requestIds = DateTime.UtcNow.Ticks;

        public Task<long> PutAsync(byte[] data)
        {
            // Time-ordered, as the gateway's UUIDv7 request ids are (the store's requestId index grows at its end).
            var tags = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["requestId"] = Interlocked.Increment(ref _requestIds).ToString("x32", CultureInfo.InvariantCulture),
            };
            return _store.PutAsync(Queue, data, tags, Limits);
        }

        public async Task EmptyAsync() => await _store.TruncateAsync(Queue, _store.Stats(Queue).LastIndex + 1);

        public ValueTask DisposeAsync() => _store.DisposeAsync();
    }
}
