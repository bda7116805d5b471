using System.Collections.Concurrent;
using System.Globalization;
using Google.Protobuf;
using OpenEas.Contracts.Queue;
using StackExchange.Redis;

namespace OpenEas.Core.Queue;

/// <summary>
/// The cluster queue store: one Redis Stream per queue, entry id <c>{index}-1</c>, so the stream's own order is the
/// index order. Every change is one Lua script (atomic on the server): a put takes the next index from a counter key
/// (never reused), checks the length limit, adds the entry and records its request id; a removal drops the entry with
/// its request id and delivery count. Durability is Redis's: with <c>appendfsync always</c> a put is answered after the
/// AOF write is fsynced. Changes are published on a channel per queue, so long polls and watches wake at once.
/// </summary>
public sealed class RedisQueueStore : IQueueStore
{
    private const string Prefix = "eas:q:";

    private static readonly LuaScript PutScript = LuaScript.Prepare("""
        if redis.call('XLEN', @stream) >= tonumber(@max) then return -1 end
        local i = redis.call('INCR', @seq)
        redis.call('XADD', @stream, i .. '-1', 'd', @data, 't', @tags, 'r', @rid)
        if @rid ~= '' then redis.call('HSET', @rids, @rid, i) end
        redis.call('PUBLISH', @channel, i)
        return i
        """);

    private static readonly LuaScript RemoveScript = LuaScript.Prepare("""
        local removed = 0
        for idx in string.gmatch(@indexes, '[^,]+') do
          local e = redis.call('XRANGE', @stream, idx .. '-1', idx .. '-1')
          if #e > 0 then
            local f = e[1][2]
            for k = 1, #f, 2 do
              if f[k] == 'r' and f[k + 1] ~= '' then redis.call('HDEL', @rids, f[k + 1]) end
            end
            redis.call('XDEL', @stream, idx .. '-1')
            redis.call('HDEL', @deliveries, idx)
            removed = removed + 1
          end
        end
        if removed > 0 then redis.call('PUBLISH', @channel, 0) end
        return removed
        """);

    private static readonly LuaScript TruncateScript = LuaScript.Prepare("""
        local removed = 0
        local below = tonumber(@below)
        while true do
          local batch = redis.call('XRANGE', @stream, '-', '+', 'COUNT', 500)
          local n = 0
          for _, e in ipairs(batch) do
            local idx = tonumber(string.match(e[1], '^(%d+)'))
            if idx >= below then break end
            local f = e[2]
            for k = 1, #f, 2 do
              if f[k] == 'r' and f[k + 1] ~= '' then redis.call('HDEL', @rids, f[k + 1]) end
            end
            redis.call('XDEL', @stream, e[1])
            redis.call('HDEL', @deliveries, tostring(idx))
            n = n + 1
          end
          removed = removed + n
          if n < 500 then break end
        end
        if removed > 0 then redis.call('PUBLISH', @channel, 0) end
        return removed
        """);

    private static readonly LuaScript DeliveredScript = LuaScript.Prepare("""
        local e = redis.call('XRANGE', @stream, @index .. '-1', @index .. '-1')
        if #e == 0 then return 0 end
        return redis.call('HINCRBY', @deliveries, @index, 1)
        """);

    private readonly ConnectionMultiplexer _redis;
    private readonly IDatabase _db;
    private readonly ConcurrentDictionary<string, Signal> _signals = new(StringComparer.Ordinal);

    private RedisQueueStore(ConnectionMultiplexer redis)
    {
        _redis = redis;
        _db = redis.GetDatabase();
    }

    /// <summary>Connects to <c>redis://host:port[/db]</c>; throws <see cref="ArgumentException"/> naming a bad address.</summary>
    public static RedisQueueStore Connect(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != "redis" || string.IsNullOrEmpty(uri.Host))
        {
            throw new ArgumentException($"--queue: expected redis://host:port, got \"{url}\"");
        }

        var options = new ConfigurationOptions { AbortOnConnectFail = false, ConnectTimeout = 5000 };
        options.EndPoints.Add(uri.Host, uri.Port > 0 ? uri.Port : 6379);
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var parts = uri.UserInfo.Split(':', 2);
            (options.User, options.Password) = parts.Length == 2 ? (Uri.UnescapeDataString(parts[0]), Uri.UnescapeDataString(parts[1])) : (null, Uri.UnescapeDataString(parts[0]));
        }

        if (uri.AbsolutePath.Trim('/') is { Length: > 0 } db && int.TryParse(db, CultureInfo.InvariantCulture, out var n))
        {
            options.DefaultDatabase = n;
        }

        var redis = ConnectionMultiplexer.Connect(options);
        if (!redis.IsConnected)
        {
            redis.Dispose();
            throw new ArgumentException($"--queue: no Redis answers at {uri.Host}:{(uri.Port > 0 ? uri.Port : 6379)}");
        }

        return new RedisQueueStore(redis);
    }

    public async Task<long> PutAsync(string queue, ReadOnlyMemory<byte> data, IReadOnlyDictionary<string, string> tags, QueueLimits limits,
        CancellationToken ct = default)
    {
        if (data.Length > limits.MaxPayloadBytes)
        {
            throw new QueuePutException(PutRefusal.TooLarge,
                $"the entry ({data.Length} bytes) is larger than queue \"{queue}\" accepts ({limits.MaxPayloadBytes} bytes, queue.max_payload_size_kb)");
        }

        var k = Keys.Of(queue);
        var result = (long)await _db.ScriptEvaluateAsync(PutScript, new
        {
            stream = k.Stream,
            seq = k.Seq,
            rids = k.RequestIds,
            channel = (RedisKey)k.Channel,
            max = limits.MaxLength,
            data = (RedisValue)data.ToArray(),
            tags = (RedisValue)EncodeTags(tags),
            rid = tags.TryGetValue("requestId", out var rid) ? rid : "",
        }).ConfigureAwait(false);
        if (result < 0)
        {
            throw new QueuePutException(PutRefusal.Full,
                $"queue \"{queue}\" is full: it holds {limits.MaxLength} entries (queue.max_length); commit or delete entries, or try again later");
        }

        Pulse(queue);
        return result;
    }

    public async Task<IReadOnlyList<QueueEntry>> ReadAsync(string queue, long from, int max, string? requestId = null, CancellationToken ct = default)
    {
        var k = Keys.Of(queue);
        if (requestId is not null)
        {
            var index = await _db.HashGetAsync(k.RequestIds, requestId).ConfigureAwait(false);
            if (index.IsNull || (long)index < from)
            {
                return [];
            }

            var one = await FindAsync(queue, (long)index, ct).ConfigureAwait(false);
            return one is null ? [] : [one];
        }

        var entries = await _db.StreamRangeAsync(k.Stream, Math.Max(from, 0) + "-1", "+", max).ConfigureAwait(false);
        var deliveries = await DeliveriesAsync(k, entries).ConfigureAwait(false);
        var list = new List<QueueEntry>(entries.Length);
        for (var i = 0; i < entries.Length; i++)
        {
            list.Add(ToEntry(entries[i], deliveries[i]));
        }

        return list;
    }

    public async Task<QueueEntry?> FindAsync(string queue, long index, CancellationToken ct = default)
    {
        var k = Keys.Of(queue);
        var id = index + "-1";
        var entries = await _db.StreamRangeAsync(k.Stream, id, id, 1).ConfigureAwait(false);
        if (entries.Length == 0)
        {
            return null;
        }

        var deliveries = await DeliveriesAsync(k, entries).ConfigureAwait(false);
        return ToEntry(entries[0], deliveries[0]);
    }

    public async Task<IReadOnlyList<long>> ExistingAsync(string queue, IReadOnlyList<long> indexes, CancellationToken ct = default)
    {
        var k = Keys.Of(queue);
        var found = new List<long>();
        foreach (var index in indexes)
        {
            var id = index + "-1";
            if ((await _db.StreamRangeAsync(k.Stream, id, id, 1).ConfigureAwait(false)).Length > 0)
            {
                found.Add(index);
            }
        }

        return found;
    }

    public async Task<int> RemoveAsync(string queue, IReadOnlyList<long> indexes, CancellationToken ct = default)
    {
        if (indexes.Count == 0)
        {
            return 0;
        }

        var k = Keys.Of(queue);
        var removed = (int)await _db.ScriptEvaluateAsync(RemoveScript, new
        {
            stream = k.Stream,
            rids = k.RequestIds,
            deliveries = k.Deliveries,
            channel = (RedisKey)k.Channel,
            indexes = string.Join(',', indexes),
        }).ConfigureAwait(false);
        Pulse(queue);
        return removed;
    }

    public async Task<int> TruncateAsync(string queue, long below, CancellationToken ct = default)
    {
        var k = Keys.Of(queue);
        var removed = (int)await _db.ScriptEvaluateAsync(TruncateScript, new
        {
            stream = k.Stream,
            rids = k.RequestIds,
            deliveries = k.Deliveries,
            channel = (RedisKey)k.Channel,
            below = below.ToString(CultureInfo.InvariantCulture),
        }).ConfigureAwait(false);
        Pulse(queue);
        return removed;
    }

    public async Task<int> DeliveredAsync(string queue, long index, CancellationToken ct = default)
    {
        var k = Keys.Of(queue);
        return (int)await _db.ScriptEvaluateAsync(DeliveredScript, new
        {
            stream = k.Stream,
            deliveries = k.Deliveries,
            index = index.ToString(CultureInfo.InvariantCulture),
        }).ConfigureAwait(false);
    }

    public async Task DropAsync(string queue, CancellationToken ct = default)
    {
        // The counter stays: indexes are never reused, even by a new queue of the same name.
        var k = Keys.Of(queue);
        await _db.KeyDeleteAsync([k.Stream, k.RequestIds, k.Deliveries]).ConfigureAwait(false);
        Pulse(queue);
    }

    public QueueStats Stats(string queue)
    {
        var k = Keys.Of(queue);
        var length = _db.StreamLength(k.Stream);
        var seq = _db.StringGet(k.Seq);
        return new QueueStats(length, seq.IsNull ? 0 : (long)seq);
    }

    public Task NextChange(string queue)
    {
        var signal = _signals.GetOrAdd(queue, q =>
        {
            var s = new Signal();
            // Changes made through other servers arrive on the queue's channel.
            _redis.GetSubscriber().Subscribe(RedisChannel.Literal(Keys.Of(q).Channel), (_, _) => s.Pulse());
            return s;
        });
        return signal.Changed;
    }

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync().ConfigureAwait(false);

    private void Pulse(string queue)
    {
        if (_signals.TryGetValue(queue, out var s))
        {
            s.Pulse();
        }
    }

    private async Task<RedisValue[]> DeliveriesAsync(Keys k, StreamEntry[] entries)
    {
        if (entries.Length == 0)
        {
            return [];
        }

        var fields = new RedisValue[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            fields[i] = IndexOf(entries[i]).ToString(CultureInfo.InvariantCulture);
        }

        return await _db.HashGetAsync(k.Deliveries, fields).ConfigureAwait(false);
    }

    private static long IndexOf(StreamEntry e)
    {
        var id = e.Id.ToString();
        return long.Parse(id.AsSpan(0, id.IndexOf('-', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
    }

    private static QueueEntry ToEntry(StreamEntry e, RedisValue deliveries)
    {
        byte[] data = [];
        IReadOnlyDictionary<string, string> tags = new Dictionary<string, string>();
        foreach (var v in e.Values)
        {
            if (v.Name == "d")
            {
                data = (byte[])v.Value! ?? [];
            }
            else if (v.Name == "t" && !v.Value.IsNullOrEmpty)
            {
                tags = AttributesProto.Parser.ParseFrom((byte[])v.Value!).Attributes;
            }
        }

        return new QueueEntry(IndexOf(e), tags, data, deliveries.IsNull ? 0 : (int)deliveries);
    }

    private static byte[] EncodeTags(IReadOnlyDictionary<string, string> tags)
    {
        var proto = new AttributesProto();
        foreach (var (key, value) in tags)
        {
            proto.Attributes[key] = value;
        }

        return proto.ToByteArray();
    }

    /// <summary>The keys of one queue; the hash tag keeps them in one cluster slot (Lua scripts touch them together).</summary>
    private readonly record struct Keys(RedisKey Stream, RedisKey Seq, RedisKey RequestIds, RedisKey Deliveries, string Channel)
    {
        public static Keys Of(string queue)
        {
            var tag = Prefix + "{" + queue + "}";
            return new Keys(tag, tag + ":seq", tag + ":rid", tag + ":dlv", tag + ":chg");
        }
    }

    private sealed class Signal
    {
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Changed => Volatile.Read(ref _changed).Task;

        public void Pulse() =>
            Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }
}
