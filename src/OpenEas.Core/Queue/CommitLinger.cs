using System.Diagnostics;

namespace OpenEas.Core.Queue;

/// <summary>
/// How long a group commit waits for more puts before it commits (like PostgreSQL's <c>commit_delay</c>).
/// Clients that wait for their acknowledgement fall into cohorts: while one cohort's commit is being fsynced, the
/// previous cohort's next puts arrive, so with 32 clients each commit would carry about 16 puts. Waiting a fraction
/// of a commit for the clients the last commit answered merges the cohorts, and each fsync carries all of them.
/// The wait ends as soon as the expected number of puts is there; a single client never waits.
/// </summary>
public sealed class CommitLinger(int maxBatch)
{
    /// <summary>The longest wait, whatever a commit costs.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromMilliseconds(1);

    private double _commitTicks;

    /// <summary>
    /// Puts the next commit should carry: those the last commit answered (their clients come back) plus those that
    /// were already waiting when it ended.
    /// </summary>
    public int Target { get; private set; } = 1;

    /// <summary>How long to wait for <see cref="Target"/>: half of a typical commit, so the wait never costs more than it saves.</summary>
    public TimeSpan Wait => TimeSpan.FromTicks(Math.Min(MaxWait.Ticks, (long)(_commitTicks / 2 * TimeSpan.TicksPerSecond / Stopwatch.Frequency)));

    /// <summary>Records a commit of <paramref name="carried"/> puts that took <paramref name="elapsedTicks"/> (Stopwatch ticks), after which <paramref name="waiting"/> were queued.</summary>
    public void Committed(int carried, int waiting, long elapsedTicks)
    {
        Target = Math.Clamp(carried + waiting, 1, maxBatch);
        // A moving average: one slow fsync (a checkpoint) must not make every later commit wait long.
        _commitTicks = _commitTicks == 0 ? elapsedTicks : (_commitTicks * 7 + elapsedTicks) / 8;
    }
}
