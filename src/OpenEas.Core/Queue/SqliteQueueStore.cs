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
/// Indexes come from a per-queue counter stored in the same transaction: strictly increasing, never reused, even
/// after every entry was removed. Reads use their own pooled connections and never wait for the writer.
/// </summary>
public sealed class SqliteQueueStore : IQueueStore
{
    /// <summary>Most operations one transaction carries.</summary>
    private const int MaxBatch = 4096;

    /// <summary>Removed entries after which free pages are given back to the file system.</summary>
    private const long VacuumEvery = 50_000;

    /// <summary>
    /// Free pages (4 KB) given back per step: a step is one short transaction between batches, so puts arriving after a
    /// large truncation wait for one step, not for all of the space to be given back.
    /// </summary>
    private const int VacuumPagesPerStep = 1024;

    private readonly string _readConnection;
    private readonly SqliteConnection _write;
    private readonly Channel<Op> _ops = Channel.CreateUnbounded<Op>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, QueueState> _queues = new(StringComparer.Ordinal);
    private readonly Thread _writer;
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _delete;
    private readonly SqliteCommand _saveIndex;
    private long _removedSinceVacuum;
    private bool _vacuumPending;
    private volatile bool _stopping;

    public SqliteQueueStore(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true };
        _readConnection = builder.ToString();
        _write = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _write.Open();
        Execute("""
            PRAGMA auto_vacuum = INCREMENTAL;
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            CREATE TABLE IF NOT EXISTS queues (name TEXT PRIMARY KEY, last_index INTEGER NOT NULL) WITHOUT ROWID;
            -- A rowid table: entries are appended at its end (payloads of KBs would split a WITHOUT ROWID b-tree's pages).
            CREATE TABLE IF NOT EXISTS entries (
                id INTEGER PRIMARY KEY, queue TEXT NOT NULL, idx INTEGER NOT NULL, request_id TEXT, tags BLOB, data BLOB NOT NULL,
                deliveries INTEGER NOT NULL DEFAULT 0);
            CREATE UNIQUE INDEX IF NOT EXISTS entries_index ON entries (queue, idx);
            CREATE INDEX IF NOT EXISTS entries_request ON entries (queue, request_id) WHERE request_id IS NOT NULL;
            """);
        Load();

        _insert = Prepare("INSERT INTO entries (queue, idx, request_id, tags, data) VALUES ($q, $i, $r, $t, $d)", "$q", "$i", "$r", "$t", "$d");
        _delete = Prepare("DELETE FROM entries WHERE queue = $q AND idx = $i", "$q", "$i");
        _saveIndex = Prepare("INSERT INTO queues (name, last_index) VALUES ($q, $i) ON CONFLICT (name) DO UPDATE SET last_index = excluded.last_index",
            "$q", "$i");
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
        using var c = OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = requestId is null
            ? "SELECT idx, tags, data, deliveries FROM entries WHERE queue = $q AND idx >= $i ORDER BY idx LIMIT $n"
            : "SELECT idx, tags, data, deliveries FROM entries WHERE queue = $q AND request_id = $r AND idx >= $i ORDER BY idx LIMIT $n";
        cmd.Parameters.AddWithValue("$q", queue);
        cmd.Parameters.AddWithValue("$i", from);
        cmd.Parameters.AddWithValue("$n", max);
        if (requestId is not null)
        {
            cmd.Parameters.AddWithValue("$r", requestId);
        }

        var list = new List<QueueEntry>();
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            list.Add(ReadEntry(reader));
        }

        return Task.FromResult<IReadOnlyList<QueueEntry>>(list);
    }

    public Task<QueueEntry?> FindAsync(string queue, long index, CancellationToken ct = default)
    {
        using var c = OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT idx, tags, data, deliveries FROM entries WHERE queue = $q AND idx = $i";
        cmd.Parameters.AddWithValue("$q", queue);
        cmd.Parameters.AddWithValue("$i", index);
        using var reader = cmd.ExecuteReader();
        return Task.FromResult(reader.Read() ? ReadEntry(reader) : null);
    }

    public Task<IReadOnlyList<long>> ExistingAsync(string queue, IReadOnlyList<long> indexes, CancellationToken ct = default)
    {
        var found = new List<long>();
        if (indexes.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<long>>(found);
        }

        using var c = OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT 1 FROM entries WHERE queue = $q AND idx = $i";
        var q = cmd.Parameters.AddWithValue("$q", queue);
        var i = cmd.Parameters.Add("$i", SqliteType.Integer);
        foreach (var index in indexes)
        {
            i.Value = index;
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
        _insert.Dispose();
        _delete.Dispose();
        _saveIndex.Dispose();
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
            var started = Stopwatch.GetTimestamp();
            try
            {
                using (var tx = _write.BeginTransaction())
                {
                    foreach (var op in batch)
                    {
                        op.Apply(this, tx);
                        touched.Add(op.State);
                        vacuum |= op is TruncateOp;
                    }

                    foreach (var state in touched)
                    {
                        if (state.IndexDirty)
                        {
                            _saveIndex.Transaction = tx;
                            _saveIndex.Parameters[0].Value = state.Name;
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
            }
            catch (Exception ex) when (ex is SqliteException or InvalidOperationException or IOException)
            {
                foreach (var op in batch)
                {
                    op.Failed(ex);
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

            if (_vacuumPending)
            {
                VacuumStep();
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
            using var cmd = _write.CreateCommand();
            cmd.CommandText = "PRAGMA freelist_count;";
            if (cmd.ExecuteScalar() is long free && free > 0)
            {
                return;
            }

            _vacuumPending = false;
            Execute("PRAGMA wal_checkpoint(TRUNCATE);");
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

    private void Load()
    {
        using (var cmd = _write.CreateCommand())
        {
            cmd.CommandText = "SELECT name, last_index FROM queues";
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                State(reader.GetString(0)).LastIndex = reader.GetInt64(1);
            }
        }

        using (var cmd = _write.CreateCommand())
        {
            cmd.CommandText = "SELECT queue, count(*) FROM entries GROUP BY queue";
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                var state = State(reader.GetString(0));
                state.Length = reader.GetInt64(1);
                state.Durable = state.Length;
            }
        }
    }

    private SqliteConnection OpenRead()
    {
        var c = new SqliteConnection(_readConnection);
        c.Open();
        return c;
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
        return new QueueEntry(reader.GetInt64(0), tags, (byte[])reader.GetValue(2), reader.GetInt32(3));
    }

    /// <summary>A queue's counters and change signal.</summary>
    private sealed class QueueState(string name)
    {
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name { get; } = name;

        /// <summary>Held entries plus puts accepted but not yet committed (what the length limit counts).</summary>
        public long Length;

        /// <summary>Held, committed entries (what users see as <c>stream.length</c>).</summary>
        public long Durable;

        /// <summary>The last index given out; written by the writer thread only.</summary>
        public long LastIndex;

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
        public override void Apply(SqliteQueueStore store, SqliteTransaction tx)
        {
            var index = State.LastIndex + 1;
            Volatile.Write(ref State.LastIndex, index);
            State.IndexDirty = true;
            var cmd = store._insert;
            cmd.Transaction = tx;
            cmd.Parameters[0].Value = State.Name;
            cmd.Parameters[1].Value = index;
            cmd.Parameters[2].Value = tags.TryGetValue("requestId", out var requestId) ? requestId : DBNull.Value;
            cmd.Parameters[3].Value = tags.Count == 0 ? DBNull.Value : EncodeTags(tags);
            cmd.Parameters[4].Value = data;
            cmd.ExecuteNonQuery();
            Result = index;
        }

        public override void Committed()
        {
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

    /// <summary>An operation that removes entries: the counters drop by <see cref="Op.Result"/> once it is committed.</summary>
    private abstract class RemovalOp(QueueState state) : Op(state)
    {
        public override void Committed()
        {
            Interlocked.Add(ref State.Length, -Result);
            Interlocked.Add(ref State.Durable, -Result);
            base.Committed();
        }
    }

    private sealed class RemoveOp(QueueState state, long[] indexes) : RemovalOp(state)
    {
        public override void Apply(SqliteQueueStore store, SqliteTransaction tx)
        {
            var cmd = store._delete;
            cmd.Transaction = tx;
            cmd.Parameters[0].Value = State.Name;
            long removed = 0;
            foreach (var index in indexes)
            {
                cmd.Parameters[1].Value = index;
                removed += cmd.ExecuteNonQuery();
            }

            Result = removed;
        }
    }

    private sealed class TruncateOp(QueueState state, long below) : RemovalOp(state)
    {
        public override void Apply(SqliteQueueStore store, SqliteTransaction tx)
        {
            using var cmd = store._write.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "DELETE FROM entries WHERE queue = $q AND idx < $i";
            cmd.Parameters.AddWithValue("$q", State.Name);
            cmd.Parameters.AddWithValue("$i", below);
            Result = cmd.ExecuteNonQuery();
        }
    }

    private sealed class DeliveredOp(QueueState state, long index) : Op(state)
    {
        public override void Apply(SqliteQueueStore store, SqliteTransaction tx)
        {
            using var cmd = store._write.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "UPDATE entries SET deliveries = deliveries + 1 WHERE queue = $q AND idx = $i RETURNING deliveries";
            cmd.Parameters.AddWithValue("$q", State.Name);
            cmd.Parameters.AddWithValue("$i", index);
            Result = cmd.ExecuteScalar() is long count ? count : 0;
        }
    }
}
