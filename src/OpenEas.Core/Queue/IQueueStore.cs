namespace OpenEas.Core.Queue;

/// <summary>One entry of a queue: its index (strictly increasing per queue, never reused), tags and payload.</summary>
/// <param name="Deliveries">How often the dispatcher handed it to an instance (survives restarts).</param>
public sealed record QueueEntry(long Index, IReadOnlyDictionary<string, string> Tags, byte[] Data, int Deliveries);

/// <summary>The limits a put is checked against.</summary>
public sealed record QueueLimits(long MaxLength, int MaxPayloadBytes);

/// <summary>A queue's counters, read without I/O.</summary>
/// <param name="Length">Entries held now (acknowledged puts not yet removed).</param>
/// <param name="LastIndex">The highest index ever given out (0 when none).</param>
public readonly record struct QueueStats(long Length, long LastIndex);

/// <summary>Why a put was refused.</summary>
public enum PutRefusal
{
    /// <summary>The queue holds its maximum number of entries (429).</summary>
    Full,

    /// <summary>The payload is larger than the queue accepts (413).</summary>
    TooLarge,
}

/// <summary>A put the queue refused, with a message a user can act on.</summary>
public sealed class QueuePutException(PutRefusal refusal, string message) : Exception(message)
{
    public PutRefusal Refusal { get; } = refusal;
}

/// <summary>
/// Durable queues addressed by name (a service's input queue is its name, its sink <c>{name}/sink</c>).
/// A put completes only once the entry is durable; removals are durable when they complete.
/// The embedded store (SQLite) and the cluster store (Redis Streams) implement it.
/// </summary>
public interface IQueueStore : IAsyncDisposable
{
    /// <summary>Appends an entry; completes once it is durable. Throws <see cref="QueuePutException"/> when refused.</summary>
    Task<long> PutAsync(string queue, ReadOnlyMemory<byte> data, IReadOnlyDictionary<string, string> tags, QueueLimits limits,
        CancellationToken ct = default);

    /// <summary>Up to <paramref name="max"/> entries with index ≥ <paramref name="from"/>, oldest first; only those tagged
    /// <c>requestId</c> = <paramref name="requestId"/> when given.</summary>
    Task<IReadOnlyList<QueueEntry>> ReadAsync(string queue, long from, int max, string? requestId = null, CancellationToken ct = default);

    /// <summary>The entry with that index, or null.</summary>
    Task<QueueEntry?> FindAsync(string queue, long index, CancellationToken ct = default);

    /// <summary>Which of <paramref name="indexes"/> are still held.</summary>
    Task<IReadOnlyList<long>> ExistingAsync(string queue, IReadOnlyList<long> indexes, CancellationToken ct = default);

    /// <summary>Removes those entries (commit and delete); answers how many were held.</summary>
    Task<int> RemoveAsync(string queue, IReadOnlyList<long> indexes, CancellationToken ct = default);

    /// <summary>Removes every entry with index below <paramref name="below"/>; answers how many.</summary>
    Task<int> TruncateAsync(string queue, long below, CancellationToken ct = default);

    /// <summary>Counts one more delivery of an entry (durably); answers the new count, or 0 when the entry is gone.</summary>
    Task<int> DeliveredAsync(string queue, long index, CancellationToken ct = default);

    /// <summary>Removes a queue and its entries (its service was deleted). Its indexes are still never reused.</summary>
    Task DropAsync(string queue, CancellationToken ct = default);

    /// <summary>Length and last index, from memory.</summary>
    QueueStats Stats(string queue);

    /// <summary>A task that completes at the queue's next change (put, removal). Take it before reading, then wait on it,
    /// so a change between the read and the wait is not missed.</summary>
    Task NextChange(string queue);
}
