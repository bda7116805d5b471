using System.Diagnostics;
using OpenEas.Core.Queue;

namespace OpenEas.Tests.Queue;

public class CommitLingerTests
{
    private static long Ms(double ms) => (long)(ms / 1000 * Stopwatch.Frequency);

    [Theory]
    // carried, waiting after the commit → puts the next commit waits for
    [InlineData(1, 0, 1)]       // one client: never waits for anyone
    [InlineData(16, 16, 32)]    // two cohorts of 16: the next commit waits for the cohort just answered
    [InlineData(32, 0, 32)]     // merged: all 32 come back together
    [InlineData(10, 0, 10)]     // load dropped: expects only as many as came
    [InlineData(0, 0, 1)]       // nothing carried (a vacuum step): take what comes
    [InlineData(4000, 4000, 4096)] // a backlog: never more than a commit carries
    public void The_next_commit_expects_the_clients_the_last_one_answered_and_those_already_waiting(int carried, int waiting, int target)
    {
        var linger = new CommitLinger(maxBatch: 4096);
        linger.Committed(carried, waiting, Ms(1));
        Assert.Equal(target, linger.Target);
    }

    [Theory]
    // commit durations (ms) → wait (ms): half of the average commit, at most 1 ms
    [InlineData(new[] { 1.0 }, 0.5)]
    [InlineData(new[] { 0.4, 0.4, 0.4 }, 0.2)]
    [InlineData(new[] { 5.0 }, 1.0)]
    [InlineData(new[] { 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 41.0 }, 1.0)]
    public void The_wait_is_half_a_typical_commit_and_never_more_than_a_millisecond(double[] commits, double waitMs)
    {
        var linger = new CommitLinger(maxBatch: 4096);
        foreach (var c in commits)
        {
            linger.Committed(32, 0, Ms(c));
        }

        Assert.Equal(waitMs, linger.Wait.TotalMilliseconds, 2);
    }

    [Fact]
    public void One_slow_commit_raises_the_wait_only_by_its_share_of_the_average()
    {
        var linger = new CommitLinger(maxBatch: 4096);
        for (var i = 0; i < 20; i++)
        {
            linger.Committed(32, 0, Ms(0.6));
        }

        linger.Committed(32, 0, Ms(1.4)); // average 0.7 ms
        Assert.Equal(0.35, linger.Wait.TotalMilliseconds, 2);
    }

    [Fact]
    public void Before_any_commit_nothing_waits()
    {
        var linger = new CommitLinger(maxBatch: 4096);
        Assert.Equal(1, linger.Target);
        Assert.Equal(TimeSpan.Zero, linger.Wait);
    }
}
