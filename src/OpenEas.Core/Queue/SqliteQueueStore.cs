using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using OpenEas.Contracts.Queue;

namespace OpenEas.Core.Queue;

/// <summary>
/// The embedded queue store: one SQLite file in WAL mode with <c>synchronous=FULL</c>, written by one thread that
/// commits everything waiting in one transaction (group commit). A put is answered after the commit that holds it
/// has been fsynced, so a crash loses no acknowledged put; many puts share one fsync, which is what makes it fast.
/// Indexes come from a per-queue counter: strictly increasing, never reused, even after every entry was removed.
/// Reads use their own pooled connections and never wait for the writer; copying the WAL back into the database
/// file (the checkpoint) runs on its own thread, so commits do not stop for it.
/// </summary>
/// <remarks>
/// Entries live in one rowid table keyed by <c>queue id &lt;&lt; 44 | index</c>: a put appends to one b-tree (a queue's
/// entries are one key range, in index order) and no second index has to be kept for lookups by index. A queue's last
/// index is written only by transactions that remove entries; otherwise the highest key of its range is its last index.
/// </remarks>
public sealed class SqliteQueueStore : IQueueStore
{
    /// <summary>Most operations one transaction carries.</summary>
    private const int MaxBatch = 4096;

    /// <summary>Bits of a key that hold the index: 2^44 puts per queue; the bits above hold the queue's id.</summary>
    private const int IndexBits = 44;

    private const long MaxIndex = (1L << IndexBits) - 1;

    /// <summary>The key of a queue's entry; <c>Key(id, 0)</c> to <c>Key(id + 1, 0)</c> is the queue's whole key range.</summary>
    private static long Key(long queueId, long index) => (queueId << IndexBits) | index;

    /// <summary>Removed entries after which free pages are given back to the file system.</summary>
    private const long VacuumEvery = 50_000;

    /// <summary>
    /// Free pages (4 KB) given back per step: a step is one short transaction between batches, so puts arriving after a
    /// large truncation wait for one step, not for all of the space to be given back.
    /// </summary>
    private const int VacuumPagesPerStep = 1024;

    /// <summary>How often a step runs between batches while puts keep coming (space freed is reused by them meanwhile).</summary>
    private static readonly TimeSpan VacuumUnderLoadEvery = TimeSpan.FromMilliseconds(100);

    private readonly string _readConnection;
    private readonly SqliteConnection _write;
    private readonly WalCheckpointer _checkpointer;
    private readonly Channel<Op> _ops = Channel.CreateUnbounded<Op>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, QueueState> _queues = new(StringComparer.Ordinal);
    private readonly Thread _writer;
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _delete;
    private readonly SqliteCommand _saveIndex;
    private readonly SqliteCommand _addQueue;
    private long _lastQueueId;
    private long _removedSinceVacuum;
    private bool _vacuumPending;
    private long _nextBusyVacuum;
    private volatile bool _stopping;

    public SqliteQueueStore(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true };
        _readConnection = builder.ToString();
        var unpooled = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString();
        _write = new SqliteConnection(unpooled);
        _write.Open();
        Execute("""
            PRAGMA auto_vacuum = INCREMENTAL;
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            PRAGMA wal_autocheckpoint = 0;
            CREATE TABLE IF NOT EXISTS queue_heads (name TEXT PRIMARY KEY, id INTEGER NOT NULL UNIQUE, last_index INTEGER NOT NULL) WITHOUT ROWID;
            -- A rowid table keyed by queue id << 44 | index: puts append (payloads of KBs would split a WITHOUT ROWID b-tree's pages).
            CREATE TABLE IF NOT EXISTS items (
                key INTEGER PRIMARY KEY, request_id TEXT, tags BLOB, data BLOB NOT NULL, deliveries INTEGER NOT NULL DEFAULT 0);
            CREATE INDEX IF NOT EXISTS items_request ON items (request_id) WHERE request_id IS NOT NULL;
            """);
        MigrateFromQueueNames();
        Load();

        _insert = Prepare("INSERT INTO items (key, request_id, tags, data) VALUES ($k, $r, $t, $d)", "$k", "$r", "$t", "$d");
        _delete = Prepare("DELETE FROM items WHERE key = $k", "$k");
        _saveIndex = Prepare("UPDATE queue_heads SET last_index = $i WHERE id = $q", "$q", "$i");
        _addQueue = Prepare("INSERT INTO queue_heads (name, id, last_index) VALUES ($n, $q, 0)", "$n", "$q");
        _checkpointer = new WalCheckpointer(unpooled);
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "queue-writer" };
        _writer.Start();
    }

    public Task<long> PutAsync(string queue, ReadOnlyMemory<byte> data, IReadOnlyDictionary<string, string> tags, QueueLimits limits,
        CancellationToken ct = default)
    {
        if (data.Length > limits.MaxPayloadBytes)
        {
            throw new QueuePutException(PutRefusal.TooLarge,
                $"the entry ({data.Length} bytes) is larger than queue \"{queue}\" accepts ({limits.MaxPayloadBytes} bytes, queue.max_payload_size_kb)");
        }

        var state = State(queue);
        if (Interlocked.Increment(ref state.Length) > limits.MaxLength)
        {
            Interlocked.Decrement(ref state.Length);
            throw new QueuePutException(PutRefusal.Full,
                $"queue \"{queue}\" is full: it holds {limits.MaxLength} entries (queue.max_length); commit or delete entries, or try again later");
        }

        var op = new PutOp(state, data.ToArray(), tags);
        Enqueue(op);
        return op.Done.Task;
    }

    public Task<IReadOnlyList<QueueEntry>> ReadAsync(string queue, long from, int max, string? requestId = null, CancellationToken ct = default)
    {
        var list = new List<QueueEntry>();
        if (!TryKeys(queue, out var first, out var end))
        {
            return Task.FromResult<IReadOnlyList<QueueEntry>>(list);
        }

        using var c = OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = requestId is null
            ? "SELECT key, tags, data, deliveries FROM items WHERE key >= $from AND key < $end ORDER BY key LIMIT $n"
            : "SELECT key, tags, data, deliveries FROM items WHERE request_id = $r AND key >= $from AND key < $end ORDER BY key LIMIT $n";
        cmd.Parameters.AddWithValue("$from", first + Math.Clamp(from, 0, MaxIndex));
        cmd.Parameters.AddWithValue("$end", end);
        cmd.Parameters.AddWithValue("$n", max);
        if (requestId is not null)
        {
            cmd.Parameters.AddWithValue("$r", requestId);
        }

        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            list.Add(ReadEntry(reader));
        }

        return Task.FromResult<IReadOnlyList<QueueEntry>>(list);
    }

    public Task<QueueEntry?> FindAsync(string queue, long index, CancellationToken ct = default)
    {
        if (!TryKeys(queue, out var first, out _) || index is < 0 or > MaxIndex)
        {
            return Task.FromResult<QueueEntry?>(null);
        }

        using var c = OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT key, tags, data, deliveries FROM items WHERE key = $k";
        cmd.Parameters.AddWithValue("$k", first + index);
        using var reader = cmd.ExecuteReader();
        return Task.FromResult(reader.Read() ? ReadEntry(reader) : null);
    }

    public Task<IReadOnlyList<long>> ExistingAsync(string queue, IReadOnlyList<long> indexes, CancellationToken ct = default)
    {
        var found = new List<long>();
        if (indexes.Count == 0 || !TryKeys(queue, out var first, out _))
        {
            return Task.FromResult<IReadOnlyList<long>>(found);
        }

        using var c = OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT 1 FROM items WHERE key = $k";
        var k = cmd.Parameters.Add("$k", SqliteType.Integer);
        foreach (var index in indexes)
        {
            if (index is < 0 or > MaxIndex)
            {
                continue;
            }

            k.Value = first + index;
            if (cmd.ExecuteScalar() is not null)
            {
                found.Add(index);
            }
        }

        return Task.FromResult<IReadOnlyList<long>>(found);
    }

    public Task<int> RemoveAsync(string queue, IReadOnlyList<long> indexes, CancellationToken ct = default) =>
        Submit(new RemoveOp(State(queue), [.. indexes]));

    public Task<int> TruncateAsync(string queue, long below, CancellationToken ct = default) => Submit(new TruncateOp(State(queue), below));

    public Task<int> DeliveredAsync(string queue, long index, CancellationToken ct = default) => Submit(new DeliveredOp(State(queue), index));

    public Task DropAsync(string queue, CancellationToken ct = default) => Submit(new TruncateOp(State(queue), long.MaxValue));

    public QueueStats Stats(string queue)
    {
        if (!_queues.TryGetValue(queue, out var state))
        {
            return default;
        }

        return new QueueStats(Volatile.Read(ref state.Durable), Volatile.Read(ref state.LastIndex));
    }

    public Task NextChange(string queue) => State(queue).Changed;

    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        _ops.Writer.TryComplete();
        await Task.Run(_writer.Join).ConfigureAwait(false);
        _checkpointer.Dispose();
        _insert.Dispose();
        _delete.Dispose();
        _saveIndex.Dispose();
        _addQueue.Dispose();
        await _write.DisposeAsync().ConfigureAwait(false);
        SqliteConnection.ClearAllPools();
    }

    // ---- the writer -------------------------------------------------------------------------

    private void WriteLoop()
    {
        var batch = new List<Op>(MaxBatch);
        var touched = new HashSet<QueueState>();
        var reader = _ops.Reader;
        var linger = new CommitLinger(MaxBatch);
        while (true)
        {
            if (!reader.TryPeek(out _))
            {
                // Idle: give freed space back step by step; otherwise wait for work.
                if (_vacuumPending && !_stopping)
                {
                    VacuumStep();
                    continue;
                }

                if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                {
                    return;
                }
            }

            batch.Clear();
            touched.Clear();
            Gather(reader, batch, linger);

            var vacuum = false;
            var queuesBefore = _lastQueueId;
            var started = Stopwatch.GetTimestamp();
            try
            {
                using (var tx = _write.BeginTransaction())
                {
                    foreach (var op in batch)
                    {
                        if (touched.Add(op.State))
                        {
                            op.State.LastIndexBefore = op.State.LastIndex;
                        }

                        if (op.State.Id == 0)
                        {
                            AddQueue(op.State, tx);
                        }

                        op.Apply(this, tx);
                        vacuum |= op is TruncateOp;
                    }

                    foreach (var state in touched)
                    {
                        if (state.IndexDirty)
                        {
                            _saveIndex.Transaction = tx;
                            _saveIndex.Parameters[0].Value = state.Id;
                            _saveIndex.Parameters[1].Value = state.LastIndex;
                            _saveIndex.ExecuteNonQuery();
                            state.IndexDirty = false;
                        }
                    }

                    tx.Commit();
                }

                linger.Committed(batch.Count, reader.CanCount ? reader.Count : 0, Stopwatch.GetTimestamp() - started);
                foreach (var op in batch)
                {
                    op.Committed();
                }

                _checkpointer.Committed();
            }
            catch (Exception ex) when (ex is SqliteException or InvalidOperationException or IOException)
            {
                // Nothing of the batch was stored: its puts' indexes are given out again (no caller was told of them, so
                // indexes stay strictly increasing without gaps), and queues first seen in it get their ids again with
                // their next operation.
                foreach (var state in touched)
                {
                    Volatile.Write(ref state.LastIndex, state.LastIndexBefore);
                    state.IndexDirty = false;
                    if (state.Id > queuesBefore)
                    {
                        Volatile.Write(ref state.Id, 0);
                    }
                }

                _lastQueueId = queuesBefore;
                foreach (var op in batch)
                {
                    op.Failed(ex);
                }
            }

            if (_checkpointer.TakeCatchUp())
            {
                // The checkpointer copied all but what arrived while it ran; this thread is the only one that appends,
                // so copying the rest here lets the next commit start the WAL over from its beginning.
                using (_checkpointer.Pause())
                {
                    TryExecute("PRAGMA wal_checkpoint(PASSIVE);");
                }
            }

            foreach (var state in touched)
            {
                state.Pulse();
            }

            _removedSinceVacuum += CountRemoved(batch);
            if (vacuum || _removedSinceVacuum >= VacuumEvery)
            {
                _removedSinceVacuum = 0;
                _vacuumPending = true;
            }

            // Under load, a step now and then (each holds the next puts back for its few milliseconds); idle, one after another.
            if (_vacuumPending && Stopwatch.GetTimestamp() >= _nextBusyVacuum)
            {
                VacuumStep();
                _nextBusyVacuum = Stopwatch.GetTimestamp() + (long)(VacuumUnderLoadEvery.TotalSeconds * Stopwatch.Frequency);
            }
        }
    }

    /// <summary>
    /// Takes what is waiting; while that is fewer than the linger expects, keeps taking what arrives for a fraction of
    /// a commit (yielding the core to the threads that bring the puts in the meantime).
    /// </summary>
    private static void Gather(ChannelReader<Op> reader, List<Op> batch, CommitLinger linger)
    {
        while (batch.Count < MaxBatch && reader.TryRead(out var op))
        {
            batch.Add(op);
        }

        if (batch.Count >= linger.Target)
        {
            return;
        }

        var until = Stopwatch.GetTimestamp() + (long)(linger.Wait.TotalSeconds * Stopwatch.Frequency);
        while (batch.Count < linger.Target && Stopwatch.GetTimestamp() < until)
        {
            if (reader.TryRead(out var op))
            {
                batch.Add(op);
            }
            else
            {
                Thread.Yield();
            }
        }
    }

    private static long CountRemoved(List<Op> batch)
    {
        long removed = 0;
        foreach (var op in batch)
        {
            if (op is RemovalOp)
            {
                removed += op.Result;
            }
        }

        return removed;
    }

    /// <summary>
    /// Gives up to <see cref="VacuumPagesPerStep"/> free pages back to the file system (retention and truncation free space,
    /// not just reuse it); once none are left, checkpoints the WAL and truncates it too.
    /// </summary>
    private void VacuumStep()
    {
        try
        {
            Execute($"PRAGMA incremental_vacuum({VacuumPagesPerStep});");
            _checkpointer.Committed();
            using var cmd = _write.CreateCommand();
            cmd.CommandText = "PRAGMA freelist_count;";
            if (cmd.ExecuteScalar() is long free && free > 0)
            {
                return;
            }

            // Then the log: copied back and cut to nothing (never while the checkpointer is in a pass: the two would collide).
            using (_checkpointer.Pause())
            {
                Execute("PRAGMA wal_checkpoint(TRUNCATE);");
            }

            _vacuumPending = false;
        }
        catch (SqliteException)
        {
            // The file is busy (a reader holds the WAL): the next removal tries again.
            _vacuumPending = false;
        }
    }

    private void Enqueue(Op op)
    {
        if (!_ops.Writer.TryWrite(op))
        {
            op.Failed(new ObjectDisposedException(nameof(SqliteQueueStore)));
        }
    }

    private Task<int> Submit(Op op)
    {
        Enqueue(op);
        return op.Done.Task.ContinueWith(t => (int)t.Result, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously | TaskContinuationOptions.OnlyOnRanToCompletion,
            TaskScheduler.Default);
    }

    // ---- helpers ----------------------------------------------------------------------------

    private QueueState State(string queue) => _queues.GetOrAdd(queue, static name => new QueueState(name));

    /// <summary>Gives a queue seen for the first time its id (its key range), in the batch's transaction.</summary>
    private void AddQueue(QueueState state, SqliteTransaction tx)
    {
        var id = _lastQueueId + 1;
        if (id >= 1L << (63 - IndexBits))
        {
            throw new InvalidOperationException($"the queue store holds the most queues it can ({id - 1}); queue \"{state.Name}\" cannot be added");
        }

        _addQueue.Transaction = tx;
        _addQueue.Parameters[0].Value = state.Name;
        _addQueue.Parameters[1].Value = id;
        _addQueue.ExecuteNonQuery();
        _lastQueueId = id;
        Volatile.Write(ref state.Id, id);
    }

    /// <summary>The key range of a queue's entries: [first, end). False when the queue holds nothing yet.</summary>
    private bool TryKeys(string queue, out long first, out long end)
    {
        var id = _queues.TryGetValue(queue, out var state) ? Volatile.Read(ref state.Id) : 0;
        first = Key(id, 0);
        end = Key(id + 1, 0);
        return id != 0;
    }

    private void Load()
    {
        using var heads = _write.CreateCommand();
        heads.CommandText = "SELECT name, id, last_index FROM queue_heads";
        using var range = _write.CreateCommand();
        range.CommandText = "SELECT count(*), max(key) FROM items WHERE key >= $first AND key < $end";
        var first = range.Parameters.Add("$first", SqliteType.Integer);
        var end = range.Parameters.Add("$end", SqliteType.Integer);
        using var reader = heads.ExecuteReader();
        while (reader.Read())
        {
            var state = State(reader.GetString(0));
            state.Id = reader.GetInt64(1);
            _lastQueueId = Math.Max(_lastQueueId, state.Id);
            first.Value = Key(state.Id, 0);
            end.Value = Key(state.Id + 1, 0);
            using var counts = range.ExecuteReader();
            counts.Read();
            state.Length = counts.GetInt64(0);
            state.Durable = state.Length;
            // Puts do not write last_index (removals do): the highest key held tells the rest.
            state.LastIndex = Math.Max(reader.GetInt64(2), counts.IsDBNull(1) ? 0 : counts.GetInt64(1) & MaxIndex);
        }
    }

    /// <summary>
    /// Moves a store written by earlier versions (entries keyed by queue name and index, with a second index on those) into
    /// the keyed table, in one transaction: nothing is lost if it is interrupted, and the next start does it again.
    /// </summary>
    private void MigrateFromQueueNames()
    {
        using (var cmd = _write.CreateCommand())
        {
            cmd.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'entries'";
            if ((long)cmd.ExecuteScalar()! == 0)
            {
                return;
            }
        }

        using var tx = _write.BeginTransaction();
        using (var cmd = _write.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = $"""
                INSERT INTO queue_heads (name, id, last_index)
                    SELECT name, (SELECT coalesce(max(id), 0) FROM queue_heads) + row_number() OVER (ORDER BY name), max(last_index)
                    FROM (SELECT name, last_index FROM queues UNION ALL SELECT queue, max(idx) FROM entries GROUP BY queue)
                    WHERE name NOT IN (SELECT name FROM queue_heads)
                    GROUP BY name;
                INSERT INTO items (key, request_id, tags, data, deliveries)
                    SELECT (h.id << {IndexBits}) | e.idx, e.request_id, e.tags, e.data, e.deliveries
                    FROM entries e JOIN queue_heads h ON h.name = e.queue ORDER BY h.id, e.idx;
                DROP TABLE entries;
                DROP TABLE IF EXISTS queues;
                """;
            cmd.ExecuteNonQuery();
        }

        tx.Commit();
    }

    private SqliteConnection OpenRead()
    {
        var c = new SqliteConnection(_readConnection);
        c.Open();
        return c;
    }

    private void TryExecute(string sql)
    {
        try
        {
            Execute(sql);
        }
        catch (SqliteException)
        {
            // Busy: the next round tries again.
        }
    }

    private void Execute(string sql)
    {
        using var cmd = _write.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var cmd = _write.CreateCommand();
        cmd.CommandText = sql;
        foreach (var p in parameters)
        {
            cmd.Parameters.Add(new SqliteParameter { ParameterName = p });
        }

        return cmd;
    }

    private static QueueEntry ReadEntry(SqliteDataReader reader)
    {
        var tags = reader.IsDBNull(1) ? (IReadOnlyDictionary<string, string>)new Dictionary<string, string>()
            : AttributesProto.Parser.ParseFrom((byte[])reader.GetValue(1)).Attributes;
        return new QueueEntry(reader.GetInt64(0) & MaxIndex, tags, (byte[])reader.GetValue(2), reader.GetInt32(3));
    }

    /// <summary>A queue's counters and change signal.</summary>
    private sealed class QueueState(string name)
    {
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name { get; } = name;

        /// <summary>The queue's id (its key range); 0 until its first operation is stored.</summary>
        public long Id;

        /// <summary>Held entries plus puts accepted but not yet committed (what the length limit counts).</summary>
        public long Length;

        /// <summary>Held, committed entries (what users see as <c>stream.length</c>).</summary>
        public long Durable;

        /// <summary>The last index given out; written by the writer thread only.</summary>
        public long LastIndex;

        /// <summary>The last index before the batch being written, given back to <see cref="LastIndex"/> if it fails.</summary>
        public long LastIndexBefore;

        public bool IndexDirty;

        public Task Changed => Volatile.Read(ref _changed).Task;

        public void Pulse() =>
            Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    private abstract class Op(QueueState state)
    {
        public QueueState State { get; } = state;
        public TaskCompletionSource<long> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public long Result { get; protected set; }

        public abstract void Apply(SqliteQueueStore store, SqliteTransaction tx);

        public virtual void Committed() => Done.TrySetResult(Result);

        public virtual void Failed(Exception ex) => Done.TrySetException(ex);
    }

    private sealed class PutOp(QueueState state, byte[] data, IReadOnlyDictionary<string, string> tags) : Op(state)
    {
        private bool _refused;

        public override void Apply(SqliteQueueStore store, SqliteTransaction tx)
        {
            var index = State.LastIndex + 1;
            if (index > MaxIndex)
            {
                _refused = true;
                return;
            }

            Volatile.Write(ref State.LastIndex, index);
            var cmd = store._insert;
            cmd.Transaction = tx;
            cmd.Parameters[0].Value = Key(State.Id, index);
            cmd.Parameters[1].Value = tags.TryGetValue("requestId", out var requestId) ? requestId : DBNull.Value;
            cmd.Parameters[2].Value = tags.Count == 0 ? DBNull.Value : EncodeTags(tags);
            cmd.Parameters[3].Value = data;
            cmd.ExecuteNonQuery();
            Result = index;
        }

        public override void Committed()
        {
            if (_refused)
            {
                Failed(new QueuePutException(PutRefusal.Full, $"queue \"{State.Name}\" has given out every index it can ({MaxIndex}); delete the service and create it again"));
                return;
            }

            Interlocked.Increment(ref State.Durable);
            base.Committed();
        }

        public override void Failed(Exception ex)
        {
            Interlocked.Decrement(ref State.Length);
            base.Failed(ex);
        }

        private static byte[] EncodeTags(IReadOnlyDictionary<string, string> tags)
        {
            var proto = new AttributesProto();
            foreach (var (k, v) in tags)
            {
                proto.Attributes[k] = v;
            }

            return proto.ToByteArray();
        }
    }

    /// <summary>
    /// An operation that removes entries: the counters drop by <see cref="Op.Result"/> once it is committed, and the queue's
    /// last index is written with it (once the highest entry is gone, nothing else remembers it).
    /// </summary>
    private abstract class RemovalOp(QueueState state) : Op(state)
    {
        public override void Apply(SqliteQueueStore store, SqliteTransaction tx)
        {
            Result = Remove(store, tx);
            State.IndexDirty = true;
        }

        public override void Committed()
        {
            Interlocked.Add(ref State.Length, -Result);
            Interlocked.Add(ref State.Durable, -Result);
            base.Committed();
        }

        protected abstract long Remove(SqliteQueueStore store, SqliteTransaction tx);
    }

    private sealed class RemoveOp(QueueState state, long[] indexes) : RemovalOp(state)
    {
        protected override long Remove(SqliteQueueStore store, SqliteTransaction tx)
        {
            var cmd = store._delete;
            cmd.Transaction = tx;
            long removed = 0;
            foreach (var index in indexes)
            {
                if (index is > 0 and <= MaxIndex)
                {
                    cmd.Parameters[0].Value = Key(State.Id, index);
                    removed += cmd.ExecuteNonQuery();
                }
            }

            return removed;
        }
    }

    private sealed class TruncateOp(QueueState state, long below) : RemovalOp(state)
    {
        protected override long Remove(SqliteQueueStore store, SqliteTransaction tx)
        {
            using var cmd = store._write.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "DELETE FROM items WHERE key >= $first AND key < $below";
            cmd.Parameters.AddWithValue("$first", Key(State.Id, 0));
            cmd.Parameters.AddWithValue("$below", Key(State.Id, 0) + Math.Clamp(below, 0, MaxIndex + 1));
            return cmd.ExecuteNonQuery();
        }
    }

    private sealed class DeliveredOp(QueueState state, long index) : Op(state)
    {
        public override void Apply(SqliteQueueStore store, SqliteTransaction tx)
        {
            if (index is <= 0 or > MaxIndex)
            {
                return;
            }

            using var cmd = store._write.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "UPDATE items SET deliveries = deliveries + 1 WHERE key = $k RETURNING deliveries";
            cmd.Parameters.AddWithValue("$k", Key(State.Id, index));
            Result = cmd.ExecuteScalar() is long count ? count : 0;
        }
    }
}
