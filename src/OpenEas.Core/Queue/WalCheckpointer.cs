using Microsoft.Data.Sqlite;

namespace OpenEas.Core.Queue;

/// <summary>
/// Copies a WAL database's log back into its file (the checkpoint) on a thread of its own, so the writer's commits do not
/// stop for it: with SQLite's automatic checkpoint, the commit that crosses 1000 pages copies them all and fsyncs the
/// database file before its puts are answered. Here the writer only reports commits; this thread checkpoints (PASSIVE:
/// it never blocks the writer or readers) at most every <see cref="Interval"/>. Once the log is long, what the writer
/// appended meanwhile is left for the writer to copy between two batches (<see cref="TakeCatchUp"/>) — a few frames,
/// after which the log starts over from its beginning instead of growing.
/// </summary>
internal sealed class WalCheckpointer : IDisposable
{
    /// <summary>Frames in the log after which it is started over (SQLite's own automatic checkpoint runs at 1000).</summary>
    public const int RestartFrames = 1000;

    /// <summary>Frames appended during a pass that count as few: the writer copies them in well under a millisecond.</summary>
    private const int FewFrames = 64;

    /// <summary>Passes in a row at most; a writer appending faster than the copy is left to the next round.</summary>
    private const int MaxPasses = 8;

    /// <summary>The least time between two checkpoints: long enough for each to copy a good run of frames.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _commits = new(0, 1);
    private readonly Lock _pass = new();
    private readonly Thread _thread;
    private int _pending;
    private int _catchUp;
    private volatile bool _stopping;

    public WalCheckpointer(string connectionString)
    {
        _connection = new SqliteConnection(connectionString);
        _connection.Open();
        _thread = new Thread(Loop) { IsBackground = true, Name = "queue-checkpoint" };
        _thread.Start();
    }

    /// <summary>Called by the writer after each commit; cheap (one interlocked exchange while a checkpoint is already due).</summary>
    public void Committed()
    {
        if (Interlocked.Exchange(ref _pending, 1) == 0)
        {
            _commits.Release();
        }
    }

    /// <summary>
    /// Holds the checkpointer between two passes while the writer checkpoints itself: two checkpoints at once collide
    /// (one is refused as busy), and a busy statement is retried by the driver only after a pause.
    /// </summary>
    public Lock.Scope Pause() => _pass.EnterScope();

    /// <summary>True once after a checkpoint of a long log: the writer copies what was appended while it ran.</summary>
    public bool TakeCatchUp() => Volatile.Read(ref _catchUp) != 0 && Interlocked.Exchange(ref _catchUp, 0) != 0;

    public void Dispose()
    {
        _stopping = true;
        Committed();
        _thread.Join();
        _connection.Dispose();
        _commits.Dispose();
    }

    private void Loop()
    {
        while (true)
        {
            _commits.Wait();
            if (_stopping)
            {
                return;
            }

            Volatile.Write(ref _pending, 0);
            // A checkpoint copies what the log held when it began, while the writer goes on appending: pass again until a
            // pass began with only a few frames more than the one before. Once the log is long, the writer then copies
            // that rest between two batches (a few frames), so its next commit starts the log over.
            long previous = -1;
            for (var pass = 0; pass < MaxPasses && PassOnce(out var log); pass++)
            {
                if (previous >= 0 && log - previous <= FewFrames)
                {
                    if (log >= RestartFrames)
                    {
                        Volatile.Write(ref _catchUp, 1);
                    }

                    break;
                }

                previous = log;
            }

            Thread.Sleep(Interval);
        }
    }

    private bool PassOnce(out long log)
    {
        using (_pass.EnterScope())
        {
            return Checkpoint(out log);
        }
    }

    /// <summary>A passive checkpoint: copies what it can without waiting for anyone; false when another one was running.</summary>
    private bool Checkpoint(out long log)
    {
        log = 0;
        try
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
            using var reader = cmd.ExecuteReader();
            if (!reader.Read() || reader.GetInt64(0) != 0)
            {
                return false;
            }

            log = reader.GetInt64(1);
            return true;
        }
        catch (SqliteException)
        {
            return false;
        }
    }
}
