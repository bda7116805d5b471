using Microsoft.Data.Sqlite;
using OpenEas.Core.Queue;

namespace OpenEas.Tests.Queue;

/// <summary>The embedded store on real SQLite files: indexes across restarts, queues side by side, older files.</summary>
public sealed class SqliteQueueStoreTests : IDisposable
{
    private static readonly QueueLimits Limits = new(long.MaxValue, 1 << 20);
    private static readonly Dictionary<string, string> NoTags = [];
    private readonly string _dir = Directory.CreateTempSubdirectory("openeas-store-test-").FullName;

    private string DbPath => Path.Combine(_dir, "queue.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    // what happens before the restart → the index the next put gets
    [InlineData("put3", 4)]                  // nothing removed: the highest entry tells
    [InlineData("put3 remove3", 4)]          // the highest entry is gone: the removal wrote the last index
    [InlineData("put3 truncate", 4)]         // emptied
    [InlineData("put3 drop", 4)]             // the queue was dropped (its service deleted)
    [InlineData("put3 truncate put2", 6)]    // puts after a removal, not written as last index themselves
    [InlineData("", 1)]                      // a new queue starts at 1
    public async Task Indexes_are_never_reused_across_a_restart(string before, long next)
    {
        await using (var store = new SqliteQueueStore(DbPath))
        {
            foreach (var step in before.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                switch (step)
                {
                    case "put3":
                    case "put2":
                        for (var i = 0; i < step[^1] - '0'; i++)
                        {
                            await store.PutAsync("q", "x"u8.ToArray(), NoTags, Limits);
                        }

                        break;
                    case "remove3":
                        Assert.Equal(1, await store.RemoveAsync("q", [3]));
                        break;
                    case "truncate":
                        await store.TruncateAsync("q", long.MaxValue);
                        break;
                    case "drop":
                        await store.DropAsync("q");
                        break;
                }
            }
        }

        await using (var reopened = new SqliteQueueStore(DbPath))
        {
            Assert.Equal(next, await reopened.PutAsync("q", "y"u8.ToArray(), NoTags, Limits));
            Assert.Equal(next, reopened.Stats("q").LastIndex);
        }
    }

    [Fact]
    public async Task A_write_that_fails_gives_its_indexes_out_again_and_keeps_what_was_stored()
    {
        await using (var store = new SqliteQueueStore(DbPath))
        {
            Assert.Equal(1, await store.PutAsync("q", "a"u8.ToArray(), NoTags, Limits));

            // The file refuses the next write, as a full disk or an I/O error would: the whole batch is rolled back.
            using (var other = new SqliteConnection($"Data Source={DbPath};Pooling=false"))
            {
                other.Open();
                using var refuse = other.CreateCommand();
                refuse.CommandText = "CREATE TRIGGER refuse BEFORE INSERT ON items BEGIN SELECT RAISE(ABORT, 'disk refused'); END;";
                refuse.ExecuteNonQuery();
                await Assert.ThrowsAsync<SqliteException>(() => store.PutAsync("q", "b"u8.ToArray(), NoTags, Limits));
                await Assert.ThrowsAsync<SqliteException>(() => store.PutAsync("q", "c"u8.ToArray(), NoTags, Limits));
                Assert.Equal(1, store.Stats("q").LastIndex);
                Assert.Equal(1, store.Stats("q").Length);

                refuse.CommandText = "DROP TRIGGER refuse;";
                refuse.ExecuteNonQuery();
            }

            // No caller was told of the failed puts' indexes: the next put takes the next one, without a gap.
            Assert.Equal(2, await store.PutAsync("q", "d"u8.ToArray(), NoTags, Limits));
            Assert.Equal(["a", "d"], (await store.ReadAsync("q", 0, 10)).Select(e => System.Text.Encoding.UTF8.GetString(e.Data)));
        }

        await using (var reopened = new SqliteQueueStore(DbPath))
        {
            Assert.Equal(3, await reopened.PutAsync("q", "e"u8.ToArray(), NoTags, Limits));
        }
    }

    [Fact]
    public async Task Queues_written_together_keep_their_own_indexes_entries_and_request_ids()
    {
        await using var store = new SqliteQueueStore(DbPath);
        var puts = new List<Task<long>>();
        for (var i = 0; i < 200; i++)
        {
            var queue = i % 2 == 0 ? "svc" : "svc/sink";
            puts.Add(store.PutAsync(queue, BitConverter.GetBytes(i), new Dictionary<string, string> { ["requestId"] = $"r{i / 2}" }, Limits));
        }

        await Task.WhenAll(puts);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), (await store.ReadAsync("svc", 0, 1000)).Select(e => e.Index));
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), (await store.ReadAsync("svc/sink", 0, 1000)).Select(e => e.Index));
        Assert.Equal(100, store.Stats("svc/sink").Length);

        // The same requestId in both queues: each queue finds only its own.
        var input = Assert.Single(await store.ReadAsync("svc", 0, 10, "r7"));
        var result = Assert.Single(await store.ReadAsync("svc/sink", 0, 10, "r7"));
        Assert.Equal(14, BitConverter.ToInt32(input.Data));
        Assert.Equal(15, BitConverter.ToInt32(result.Data));
        Assert.Equal(input.Index, result.Index);

        Assert.Equal(50, await store.TruncateAsync("svc", 51));
        Assert.Equal(51, (await store.ReadAsync("svc", 0, 1)).Single().Index);
        Assert.Equal(1, (await store.ReadAsync("svc/sink", 0, 1)).Single().Index);
        Assert.Equal([60L, 70L], await store.ExistingAsync("svc/sink", [60, 70, 0, -1, 101]));
        Assert.Null(await store.FindAsync("svc", 3));
        Assert.Empty(await store.ReadAsync("never-written", 0, 10));
        Assert.Null(await store.FindAsync("never-written", 1));
    }

    [Fact]
    public async Task A_store_written_by_an_earlier_version_opens_with_its_entries_counters_and_indexes()
    {
        using (var old = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            old.Open();
            using var cmd = old.CreateCommand();
            // The layout before entries were keyed by queue id and index.
            cmd.CommandText = """
                PRAGMA auto_vacuum = INCREMENTAL;
                PRAGMA journal_mode = WAL;
                CREATE TABLE queues (name TEXT PRIMARY KEY, last_index INTEGER NOT NULL) WITHOUT ROWID;
                CREATE TABLE entries (
                    id INTEGER PRIMARY KEY, queue TEXT NOT NULL, idx INTEGER NOT NULL, request_id TEXT, tags BLOB, data BLOB NOT NULL,
                    deliveries INTEGER NOT NULL DEFAULT 0);
                CREATE UNIQUE INDEX entries_index ON entries (queue, idx);
                CREATE INDEX entries_request ON entries (queue, request_id) WHERE request_id IS NOT NULL;
                INSERT INTO queues VALUES ('a', 7), ('emptied', 40), ('b', 2);
                INSERT INTO entries (queue, idx, request_id, data, deliveries) VALUES
                    ('a', 5, 'r5', x'05', 0), ('b', 1, NULL, x'b1', 2), ('a', 7, 'r7', x'07', 3), ('b', 2, 'rb', x'b2', 0);
                """;
            cmd.ExecuteNonQuery();
        }

        await using var store = new SqliteQueueStore(DbPath);
        var a = await store.ReadAsync("a", 0, 10);
        Assert.Equal([5L, 7L], a.Select(e => e.Index));
        Assert.Equal([0, 3], a.Select(e => e.Deliveries));
        Assert.Equal(new byte[] { 7 }, (await store.FindAsync("a", 7))!.Data);
        Assert.Equal(2, store.Stats("b").Length);
        Assert.Equal(2, Assert.Single(await store.ReadAsync("b", 0, 10, "rb")).Index);
        Assert.Equal(8, await store.PutAsync("a", "n"u8.ToArray(), NoTags, Limits));
        Assert.Equal(41, await store.PutAsync("emptied", "n"u8.ToArray(), NoTags, Limits));
        Assert.Equal(3, await store.PutAsync("b", "n"u8.ToArray(), NoTags, Limits));
        Assert.Equal(1, await store.PutAsync("new", "n"u8.ToArray(), NoTags, Limits));
    }

    [Fact]
    public async Task The_log_is_copied_back_and_starts_over_under_a_steady_stream_of_puts()
    {
        var payload = new byte[1024];
        await using var store = new SqliteQueueStore(DbPath);
        // 20000 puts of 1 KB from 8 writers (small commits, each writing its pages to the log) without a pause.
        var puts = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 2500; i++)
            {
                await store.PutAsync("q", payload, NoTags, Limits);
            }
        }));
        await Task.WhenAll(puts);

        // Never copied back, the log would hold every page written (over 80 MB); checkpointed, it starts over and stays small.
        var wal = new FileInfo(DbPath + "-wal").Length;
        Assert.True(wal < 16_000_000, $"the WAL holds {wal} bytes after 20000 puts of 1 KB");
        Assert.Equal(20_000, store.Stats("q").LastIndex);
        Assert.Equal(Enumerable.Range(19_990, 11).Select(i => (long)i), (await store.ReadAsync("q", 19_990, 100)).Select(e => e.Index));
    }
}
