namespace OpenEas.Bench.Queue;

internal static class StoreFiles
{
    /// <summary>
    /// Waits until an embedded store has given truncated space back (between batches, step by step, for a few seconds after
    /// a large truncation), so the next run measures puts, not that work: the store's files stop shrinking for a second.
    /// </summary>
    public static async Task SettledAsync(string db, CancellationToken ct)
    {
        long Size() => (File.Exists(db) ? new FileInfo(db).Length : 0) + (File.Exists(db + "-wal") ? new FileInfo(db + "-wal").Length : 0);
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        var last = Size();
        var stable = System.Diagnostics.Stopwatch.StartNew();
        while (stable.Elapsed < TimeSpan.FromSeconds(1) && deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(100, ct);
            var size = Size();
            if (size != last)
            {
                last = size;
                stable.Restart();
            }
        }
    }
}
