using Microsoft.Extensions.Time.Testing;
using OpenEas.Core.Reconcile;

namespace OpenEas.Tests.Reconcile;

public class UpdatePlanTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static List<PlanInstance> Live(int oldReady, int newReady, int newStarting = 0) =>
    [
        .. Enumerable.Range(0, oldReady).Select(i => new PlanInstance($"o{i}", 1, true, false, T0.AddMinutes(i))),
        .. Enumerable.Range(0, newReady).Select(i => new PlanInstance($"n{i}", 2, true, false, T0.AddMinutes(10 + i))),
        .. Enumerable.Range(0, newStarting).Select(i => new PlanInstance($"s{i}", 2, false, false, T0.AddMinutes(20 + i))),
    ];

    [Theory]
    // old ready, new ready, new starting, cap → create, drained
    [InlineData(6, 0, 0, 2, 1, 0)] // batch 1 of 3: one surge instance at a time, nothing drained yet
    [InlineData(6, 1, 0, 2, 1, 1)] // one new is Ready: an old one goes, the next new starts
    [InlineData(4, 2, 0, 2, 0, 0)] // the batch is done: four old instances stay for the next batches
    [InlineData(4, 2, 0, 4, 1, 0)] // batch 2 begins
    [InlineData(5, 2, 0, 2, 0, 1)] // the batch's second new instance is Ready: one old goes, no third new one
    [InlineData(0, 6, 0, 6, 0, 0)] // done
    [InlineData(6, 0, 0, 6, 1, 0)] // no plan: the usual surge of one
    public void A_batch_replaces_only_its_share_of_the_instances(int oldReady, int newReady, int newStarting, int cap, int create, int drained)
    {
        var plan = RolloutPlanner.Plan(6, 2, Live(oldReady, newReady, newStarting), surge: 1, unavailable: 0, maxCurrent: cap);

        Assert.Equal(create, plan.Create);
        Assert.Equal(drained, plan.Drain.Count);
        Assert.All(plan.Drain, id => Assert.StartsWith("o", id));
    }

    [Fact]
    public void Batches_advance_only_after_the_pause_once_each_batch_is_ready()
    {
        var clock = new FakeTimeProvider(T0);
        var pause = TimeSpan.FromSeconds(60);

        var (cap, state) = BatchPlanner.Cap(6, 2, 3, pause, currentReady: 0, oldLive: 6, null, clock.GetUtcNow());
        Assert.Equal((2, 1), (cap, state!.Batch));

        (cap, state) = BatchPlanner.Cap(6, 2, 3, pause, currentReady: 2, oldLive: 4, state, clock.GetUtcNow());
        Assert.Equal((2, 1), (cap, state!.Batch)); // Ready: the pause starts
        Assert.Equal(clock.GetUtcNow(), state.ReadyAt);

        clock.Advance(TimeSpan.FromSeconds(59));
        (cap, state) = BatchPlanner.Cap(6, 2, 3, pause, currentReady: 2, oldLive: 4, state, clock.GetUtcNow());
        Assert.Equal(2, cap);

        clock.Advance(TimeSpan.FromSeconds(1));
        (cap, state) = BatchPlanner.Cap(6, 2, 3, pause, currentReady: 2, oldLive: 4, state, clock.GetUtcNow());
        Assert.Equal((4, 2), (cap, state!.Batch));

        // A new version starts over at batch 1.
        (cap, state) = BatchPlanner.Cap(6, 3, 3, pause, currentReady: 0, oldLive: 6, state, clock.GetUtcNow());
        Assert.Equal((2, 1), (cap, state!.Batch));
    }

    [Theory]
    [InlineData(1, 6, 6)]  // no plan
    [InlineData(3, 6, 0)]  // nothing old: a create or a finished update is not batched
    [InlineData(3, 1, 6)]  // a single instance cannot be split
    public void No_cap_without_a_batched_update(int batches, int desired, int oldLive)
    {
        var (cap, state) = BatchPlanner.Cap(desired, 2, batches, TimeSpan.Zero, 0, oldLive, null, T0);
        Assert.Null(cap);
        Assert.Null(state);
    }

    [Fact]
    public void Batches_round_up_so_the_last_one_is_the_smallest()
    {
        var (cap, _) = BatchPlanner.Cap(5, 2, 2, TimeSpan.Zero, 0, 5, null, T0);
        Assert.Equal(3, cap);
    }
}
